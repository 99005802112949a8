"""Goods and services: the 类似商品和服务区分表 (table), goods texts to groups (text_index), overlap."""
