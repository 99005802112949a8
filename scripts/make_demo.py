#!/usr/bin/env python3
"""Make the shipped demo gazette (示例初步审定公告数据): seeded and byte-for-byte reproducible.

Writes, from one seed:

* ``gazette.jsonl`` - a sample 初步审定公告 (preliminary approval announcement) in JSON Lines, spread
  over three consecutive weekly issues; ordinary plausible marks plus planted knock-offs of the
  watched brands and about five deliberately broken lines (for the quarantine path);
* ``planted.jsonl`` - the answer key: every planted knock-off, near-miss, own filing and bad line;
* ``gazette-extra-gbk.csv`` - about 100 further ordinary records of the next issue, as a GBK-encoded
  CSV (lists joined by ``;``), to show encoding handling.

Regenerate the committed files with::

    .venv/bin/python scripts/make_demo.py --out data/demo/gazette.jsonl --count 3000 --seed 20261121

Ordinary marks are drawn from common brand characters and filtered so that none is close to a
watched brand of ``watchlists/*.yaml``: a change to a watchlist therefore changes the demo data.
Goods texts are real items of the 类似商品和服务区分表 (NCL 13-2026), read from the packaged copy
``src/markwatch/data/nice/`` (else ``/work/shared/data/nice/``, whose README describes the file);
``--nice PATH`` or ``MARKWATCH_NICE_JSONL`` names another copy.
Needs PyYAML and pypinyin (rapidfuzz, if installed, only makes it faster); no network access.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml
from pypinyin import Style, lazy_pinyin

try:  # a project dependency; the pure-Python fallback below gives the same numbers, slower
    from rapidfuzz.distance import Indel as _Indel
except ImportError:  # pragma: no cover
    _Indel = None

ROOT = Path(__file__).resolve().parents[1]
NICE_NAME = "cn-similar-groups-ncl13-2026.jsonl"
NICE_CANDIDATES = (
    ROOT / "src" / "markwatch" / "data" / "nice" / NICE_NAME,  # the packaged copy
    Path("/work/shared/data/nice") / NICE_NAME,
)

# CNIPA publishes the trademark gazette on the 6th, 13th, 20th and 27th of each month.  The issue
# numbers are an estimate of the real numbering (about 48 issues a year), not official data.
ISSUES = (("2004", date(2026, 10, 20)), ("2005", date(2026, 10, 27)), ("2006", date(2026, 11, 6)))
EXTRA_ISSUE = ("2007", date(2026, 11, 13))
# Marks published in late 2026 were typically filed 5-11 months earlier.
FILING_FIRST, FILING_LAST = date(2025, 12, 1), date(2026, 5, 29)
GROUPS_MISSING_SHARE = 0.30  # records without similar_groups, so mapping goods text is exercised

CSV_COLUMNS = (
    "application_no", "mark", "classes", "goods", "similar_groups", "applicant", "applicant_address",
    "filing_date", "publication_date", "gazette_issue", "mark_type", "office",
)

# --------------------------------------------------------------------------------------------
# Reference tables for plausible names and addresses.
# --------------------------------------------------------------------------------------------

# (province, short province, city, short city, ((district, street in it), ...)); the municipalities
# have province == city.  Hangzhou appears twice: a Hangzhou station sees many local filings.
PLACES = (
    ("浙江省", "浙江", "杭州市", "杭州", (("西湖区", "文三路"), ("上城区", "解放路"), ("拱墅区", "莫干山路"),
                                      ("滨江区", "江南大道"), ("余杭区", "文一西路"), ("萧山区", "金城路"))),
    ("浙江省", "浙江", "杭州市", "杭州", (("钱塘区", "学林街"), ("临平区", "藕花洲大街"), ("西湖区", "古墩路"))),
    ("浙江省", "浙江", "宁波市", "宁波", (("海曙区", "中山西路"), ("鄞州区", "天童南路"), ("江北区", "人民路"))),
    ("浙江省", "浙江", "温州市", "温州", (("鹿城区", "人民东路"), ("鹿城区", "学院中路"), ("瓯海区", "温州大道"))),
    ("浙江省", "浙江", "金华市", "义乌", (("义乌市", "稠州北路"), ("义乌市", "宾王路"), ("义乌市", "工人西路"))),
    ("浙江省", "浙江", "绍兴市", "绍兴", (("越城区", "解放北路"), ("柯桥区", "笛扬路"), ("越城区", "胜利东路"))),
    ("浙江省", "浙江", "湖州市", "湖州", (("吴兴区", "红旗路"), ("吴兴区", "青铜路"))),
    ("上海市", "上海", "上海市", "上海", (("浦东新区", "张江路"), ("闵行区", "虹梅路"), ("徐汇区", "漕溪北路"),
                                      ("静安区", "南京西路"))),
    ("江苏省", "江苏", "苏州市", "苏州", (("姑苏区", "干将西路"), ("吴中区", "东吴北路"), ("相城区", "相城大道"))),
    ("江苏省", "江苏", "南京市", "南京", (("鼓楼区", "中山北路"), ("江宁区", "双龙大道"), ("秦淮区", "中华路"))),
    ("江苏省", "江苏", "无锡市", "无锡", (("梁溪区", "中山路"), ("滨湖区", "蠡湖大道"))),
    ("广东省", "广东", "广州市", "广州", (("天河区", "天河路"), ("白云区", "机场路"), ("番禺区", "禺山大道"),
                                      ("越秀区", "环市东路"))),
    ("广东省", "广东", "深圳市", "深圳", (("南山区", "科苑路"), ("福田区", "深南大道"), ("宝安区", "宝安大道"),
                                      ("龙岗区", "龙岗大道"))),
    ("广东省", "广东", "东莞市", "东莞", (("虎门镇", "连升路"), ("南城街道", "鸿福路"))),
    ("广东省", "广东", "佛山市", "佛山", (("顺德区", "容桂大道"), ("南海区", "桂澜北路"), ("禅城区", "季华路"))),
    ("福建省", "福建", "泉州市", "泉州", (("晋江市", "世纪大道"), ("丰泽区", "丰泽街"))),
    ("福建省", "福建", "厦门市", "厦门", (("思明区", "湖滨南路"), ("湖里区", "嘉禾路"))),
    ("四川省", "四川", "成都市", "成都", (("武侯区", "人民南路"), ("锦江区", "红星路"), ("郫都区", "望丛中路"),
                                      ("成华区", "建设路"))),
    ("重庆市", "重庆", "重庆市", "重庆", (("渝中区", "民族路"), ("江北区", "建新北路"), ("九龙坡区", "杨家坪正街"))),
    ("湖北省", "湖北", "武汉市", "武汉", (("江汉区", "解放大道"), ("洪山区", "珞喻路"), ("武昌区", "中南路"))),
    ("湖南省", "湖南", "长沙市", "长沙", (("岳麓区", "麓山南路"), ("开福区", "芙蓉中路"), ("雨花区", "劳动东路"))),
    ("河南省", "河南", "郑州市", "郑州", (("金水区", "花园路"), ("二七区", "大学路"), ("管城回族区", "紫荆山路"))),
    ("山东省", "山东", "青岛市", "青岛", (("市南区", "香港中路"), ("崂山区", "海尔路"), ("黄岛区", "长江中路"))),
    ("山东省", "山东", "济南市", "济南", (("历下区", "泉城路"), ("历下区", "经十路"), ("槐荫区", "经七路"))),
    ("安徽省", "安徽", "合肥市", "合肥", (("蜀山区", "长江西路"), ("包河区", "马鞍山路"))),
    ("北京市", "北京", "北京市", "北京", (("朝阳区", "建国路"), ("海淀区", "中关村大街"), ("丰台区", "丰台北路"))),
    ("天津市", "天津", "天津市", "天津", (("和平区", "南京路"), ("滨海新区", "第二大街"))),
    ("陕西省", "陕西", "西安市", "西安", (("雁塔区", "小寨西路"), ("未央区", "凤城八路"), ("雁塔区", "科技路"))),
    ("云南省", "云南", "昆明市", "昆明", (("五华区", "青年路"), ("官渡区", "春城路"))),
    ("黑龙江省", "黑龙江", "哈尔滨市", "哈尔滨", (("南岗区", "西大直街"), ("道里区", "中央大街"))),
    ("广西壮族自治区", "广西", "南宁市", "南宁", (("青秀区", "民族大道"), ("西乡塘区", "大学东路"))),
)

# Known addresses of the owners that file their own new marks in the demo.
OWNER_ADDRESSES = {
    "杭州娃哈哈集团有限公司": "浙江省杭州市上城区清泰街160号",
    "农夫山泉股份有限公司": "浙江省杭州市西湖区葛衙庄181号",
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范石廖贾夏韦方邹孟熊秦邱尹薛段侯史陶贺顾毛郝龚邵严覃戴莫孔汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英玉萍燕鹏辉文婷建宇浩凯欣晨琳梅斌鑫亮健颖俊峰帆志红桂兰"

# Characters that brand names are commonly made of; the filter below keeps them away from watched brands.
HEAD = "金美佳乐福源泰盛鑫达通宝丰瑞祥顺嘉禾润雅欣悦优尚凯思诺博恒信德宏辉创星辰云峰凤锦绣兰竹梅菊松柏蓝青紫晨曦朗清溪川湾田园麦香甜鲜味乡童心爱喜趣萌哆骏铭皓逸轩宸睿晟昊鸿霖沐森林橙柚莓糖禧沁岚澜栖拾遇初满"
TAIL = "禾源泰盛达通宝丰瑞祥顺嘉润雅欣悦优尚凯思诺博恒信德宏辉星辰云峰锦绣兰竹梅松晨曦朗溪川湾田园麦香甜鲜味心爱喜趣萌骏铭逸轩宸睿晟昊鸿霖沐森屿岚澜栖拾遇初满记邦派享程芯朵颂"
SUFFIX_CHAR = "坊记堂屋家园轩阁铺居道派集汇舍谷邦匠里季町社"
TWO_CHAR_WORDS = ("优选", "工坊", "良品", "小镇", "时光", "农庄", "森林", "田园", "印象", "人家", "优品", "鲜生")
ENGLISH = ("SUNNY", "GOLDEN", "FRESH", "HAPPY", "SMART", "BLOOM", "NOVA", "LUMI", "VERDE", "AURA",
           "PEAK", "MAPLE", "OCEAN", "CLOUD", "PIXEL", "ZEN", "ECHO", "FLORA", "TERRA", "LOTUS", "JOY",
           "PURE", "VITA", "CORA", "AMBER", "BREEZE", "CRISP", "DAWN")
LATIN_SYLLABLES = ("ka", "lo", "ve", "ra", "no", "zi", "ta", "re", "su", "do", "li", "ne", "ko", "va", "sa",
                   "ri", "to", "me", "lu", "na", "fe", "bo", "ly", "xo", "qua", "vi", "den", "mar", "tel")

# Generic words shown in marks and the industry word of company names, by class.
FOOD_CLASSES = (29, 30, 31, 32, 33)
MARK_GENERIC = {
    29: ("食品", "牌", "优选"), 30: ("食品", "牌", "茶业", "工坊"), 31: ("农庄", "牌", "生态"),
    32: ("饮品", "牌"), 33: ("酒业", "牌", "酒坊"), 9: ("科技", "智能", "电子"), 11: ("电器", "科技"),
    25: ("服饰", "牌"), 3: ("美妆", "生物"), 5: ("医药", "生物"), 35: ("优选", "商贸"), 43: ("餐饮", "小馆"),
    42: ("科技", "云"), 41: ("教育", "文化"),
}
INDUSTRY = {
    29: ("食品", "农业科技", "农产品"), 30: ("食品", "茶业", "食品科技"), 31: ("农业科技", "生态农业", "农产品"),
    32: ("饮品", "饮料", "食品"), 33: ("酒业", "酒类销售"), 3: ("化妆品", "生物科技", "日化"),
    5: ("医药科技", "生物科技", "健康科技"), 9: ("电子科技", "智能科技", "信息技术"), 11: ("电器", "环境科技"),
    25: ("服饰", "服装", "鞋业"), 35: ("商贸", "电子商务", "品牌管理", "供应链管理"), 41: ("文化传播", "教育科技"),
    42: ("网络科技", "信息技术"), 43: ("餐饮管理", "酒店管理"), 20: ("家居", "家具"), 21: ("日用品", "家居用品"),
    28: ("体育用品", "玩具"), 18: ("皮具", "箱包"), 14: ("珠宝", "首饰"), 16: ("文化用品", "印务"),
}
INDUSTRY_DEFAULT = ("贸易", "实业", "科技", "商贸")

# How often each class is filed (rough shape of Chinese filing statistics), for ordinary records.
CLASS_WEIGHTS = {35: 14, 9: 8, 25: 8, 30: 8, 3: 6, 29: 5, 43: 5, 41: 5, 42: 5, 5: 4, 20: 3, 11: 3, 21: 3,
                 32: 3, 33: 2, 28: 2, 16: 2, 31: 2, 44: 2, 18: 2, 14: 1, 7: 2, 10: 1, 24: 1, 45: 1, 36: 1,
                 37: 1, 39: 1, 40: 1, 8: 1, 6: 1, 12: 1, 19: 1, 26: 1, 27: 1, 38: 1, 1: 1, 2: 1, 4: 1,
                 13: 1, 15: 1, 17: 1, 22: 1, 23: 1, 34: 1}

_FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def fullwidth(text: str) -> str:
    """ASCII letters to full-width forms (全角), as some filings are typed."""
    return "".join(_FULLWIDTH.get(ch, "\u3000" if ch == " " else ch) for ch in text)


# --------------------------------------------------------------------------------------------
# Planted records and their answer key.  expect_alert is True except for close copies in
# unrelated classes of brands that are not well known (see expect_alert()), hard negatives,
# the owners' own filings and bad records.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plant:
    mark: str
    brand_id: str
    kind: str
    classes: tuple[int, ...]
    goods: tuple[str, ...] = ()  # preferred real goods texts of the class, checked against the table
    mark_type: str = "word"
    applicant: str | None = None  # None: a random company or person; "owner": the brand's owner


PLANTS: tuple[Plant, ...] = (
    # look-alike characters (形近字)
    Plant("康帅傅", "HZ-0002", "look", (30,), ("方便粉丝", "面条")),
    Plant("雷碧", "HZ-0003", "look", (32,), ("无酒精饮料", "苏打水", "加气水")),
    Plant("大白免", "HZ-0005", "look", (30,), ("糖果", "软糖（糖果）")),
    Plant("治治", "HZ-0006", "look", (29,), ("加工过的瓜子", "加工过的坚果", "五香豆")),
    Plant("可日可乐", "HZ-0012", "look", (32,), ("无酒精饮料", "加气水")),
    Plant("蒙午", "HZ-0023", "look", (29,), ("奶", "酸奶", "奶制品")),
    Plant("王老古", "HZ-0016", "look", (32,), ("无酒精饮料", "植物饮料")),
    Plant("老千妈", "HZ-0015", "look", (30,), ("调味品", "辣椒（调味品）", "调味酱汁")),
    Plant("红午", "HZ-0025", "look", (32,), ("无酒精饮料", "等渗饮料")),
    Plant("六个核挑", "HZ-0007", "look", (32,), ("植物饮料", "无酒精饮料")),
    Plant("安蹋", "HZ-0018", "look", (25,), ("运动鞋", "服装")),
    Plant("海尓", "HZ-0022", "look", (11,), ("冰箱", "冰柜")),
    Plant("知昧观", "HZ-0026", "look", (43,), ("餐馆", "快餐馆")),
    # homophones (音近)
    Plant("哇哈哈", "HZ-0001", "sound", (32,), ("无酒精饮料", "果汁", "矿泉水（饮料）")),
    Plant("粤利粤", "HZ-0004", "sound", (30,), ("饼干", "夹心饼干")),
    Plant("旺子", "HZ-0011", "sound", (30,), ("糖果", "米果（膨化食品）")),
    Plant("康师父", "HZ-0002", "sound", (30,), ("方便粉丝", "面条")),
    Plant("五粮夜", "HZ-0013", "sound", (33,), ("白酒", "烈酒（饮料）")),
    Plant("徐福纪", "HZ-0014", "sound", (30,), ("糖果", "蛋糕")),
    Plant("蜜雪冰诚", "HZ-0010", "sound", (43,), ("咖啡馆", "餐馆")),
    Plant("伊俐", "HZ-0024", "sound", (29,), ("奶", "酸奶")),
    Plant("格立", "HZ-0021", "sound", (11,), ("空气调节装置", "冰箱")),
    Plant("王老级", "HZ-0016", "sound", (32,), ("无酒精饮料",)),
    Plant("雪璧", "HZ-0003", "sound", (32,), ("加气水", "苏打水")),
    Plant("农夫山全", "HZ-0009", "sound", (32,), ("矿泉水（饮料）", "水（饮料）")),
    Plant("张小全", "HZ-0027", "sound", (8,), ("剪刀", "切菜刀")),
    # brand plus generic words (加通用词)
    Plant("周黑鸭食品", "HZ-0008", "generic", (29,), ("家禽（非活）", "腌制肉")),
    Plant("康师傅牌", "HZ-0002", "generic", (30,), ("方便粉丝", "包子")),
    Plant("娃哈哈集团", "HZ-0001", "generic", (32,), ("无酒精饮料", "果汁")),
    Plant("老干妈风味", "HZ-0015", "generic", (30,), ("调味品", "辣椒（调味品）")),
    Plant("洽洽食品", "HZ-0006", "generic", (29,), ("加工过的瓜子", "加工过的坚果")),
    Plant("李宁体育", "HZ-0017", "generic", (25,), ("运动鞋", "服装")),
    Plant("蒙牛乳业", "HZ-0023", "generic", (29,), ("奶", "奶制品")),
    Plant("格力电器", "HZ-0021", "generic", (11,), ("空气调节装置",)),
    Plant("知味观食品", "HZ-0026", "generic", (30,), ("糕点", "包子")),
    # the whole brand inside a longer mark (包含)
    Plant("汉味周黑鸭", "HZ-0008", "contains", (29,), ("家禽（非活）", "肉")),
    Plant("六个石磨核桃", "HZ-0007", "contains", (32,), ("植物饮料", "无酒精饮料")),
    Plant("小米生活", "HZ-0019", "contains", (9,), ("智能手机", "可下载的手机应用软件")),
    Plant("金典红牛", "HZ-0025", "contains", (32,), ("等渗饮料", "无酒精饮料")),
    Plant("辣妹老干妈", "HZ-0015", "contains", (30,), ("调味品", "调味酱汁")),
    Plant("大白兔奶糖坊", "HZ-0005", "contains", (30,), ("糖果", "奶片（糖果）")),
    Plant("优选伊利", "HZ-0024", "contains", (29,), ("奶", "奶粉")),
    Plant("华为智联", "HZ-0020", "contains", (9,), ("智能手机", "计算机")),
    Plant("徐福记喜糖", "HZ-0014", "contains", (30,), ("糖果", "巧克力")),
    # reordered characters (颠倒)
    Plant("山泉农夫", "HZ-0009", "order", (32,), ("矿泉水（饮料）", "水（饮料）")),
    Plant("冰城蜜雪", "HZ-0010", "order", (43,), ("咖啡馆", "快餐馆")),
    Plant("核桃六个", "HZ-0007", "order", (32,), ("植物饮料",)),
    Plant("黑鸭周", "HZ-0008", "order", (29,), ("家禽（非活）",)),
    Plant("宁李", "HZ-0017", "order", (25,), ("运动鞋", "服装")),
    Plant("牛蒙", "HZ-0023", "order", (29,), ("奶", "酸奶")),
    # pinyin forms (拼音)
    Plant("WAHAHA", "HZ-0001", "pinyin", (32,), ("无酒精饮料", "果汁")),
    Plant("MENGNIU", "HZ-0023", "pinyin", (29,), ("奶", "奶制品")),
    Plant("MIXUEBINGCHENG", "HZ-0010", "pinyin", (30,), ("冰淇淋", "茶饮料")),
    Plant("KANGSHIFU", "HZ-0002", "pinyin", (30,), ("方便粉丝", "面条")),
    Plant("ZHOUHEIYA", "HZ-0008", "pinyin", (29,), ("家禽（非活）", "肉")),
    Plant("WULIANGYE", "HZ-0013", "pinyin", (33,), ("白酒",)),
    Plant("Nong Fu Shan Quan", "HZ-0009", "pinyin", (32,), ("矿泉水（饮料）",)),
    Plant("XUFUJI", "HZ-0014", "pinyin", (30,), ("糖果",)),
    # traditional characters (繁体)
    Plant("農夫山泉", "HZ-0009", "traditional", (32,), ("矿泉水（饮料）", "水（饮料）")),
    Plant("康師傅", "HZ-0002", "traditional", (30,), ("方便粉丝", "面条")),
    Plant("五糧液", "HZ-0013", "traditional", (33,), ("白酒", "烈酒（饮料）")),
    Plant("徐福記", "HZ-0014", "traditional", (30,), ("糖果", "甜食")),
    Plant("周黑鴨", "HZ-0008", "traditional", (29,), ("家禽（非活）",)),
    Plant("紅牛", "HZ-0025", "traditional", (32,), ("等渗饮料",)),
    Plant("華為", "HZ-0020", "traditional", (9,), ("智能手机", "计算机")),
    # full-width Latin (全角)
    Plant(fullwidth("WAHAHA"), "HZ-0001", "fullwidth", (32,), ("无酒精饮料",)),
    Plant(fullwidth("OREO"), "HZ-0004", "fullwidth", (30,), ("饼干", "夹心饼干")),
    Plant(fullwidth("XIAOMI"), "HZ-0019", "fullwidth", (9,), ("智能手机",)),
    Plant(fullwidth("HUAWEI"), "HZ-0020", "fullwidth", (9,), ("智能手机", "平板电脑")),
    # translations (含义/翻译)
    Plant("MILLET", "HZ-0019", "translation", (9,), ("智能手机",)),
    Plant("FARMER SPRING", "HZ-0009", "translation", (32,), ("矿泉水（饮料）",)),
    Plant("红色公牛", "HZ-0025", "translation", (32,), ("等渗饮料", "无酒精饮料")),
    Plant("WHITE BUNNY", "HZ-0005", "translation", (30,), ("糖果",)),
    # geographical indications (地理标志): place + product, with padding
    Plant("五常醇香米", "GI-0001", "gi", (30,), ("米", "人食用的去壳谷物")),
    Plant("安吉珍稀白茶", "GI-0002", "gi", (30,), ("白茶", "绿茶", "茶")),
    Plant("郫县豆瓣酱", "GI-0003", "gi", (30,), ("调味品", "调味酱汁")),
    Plant("阳澄湖镇大闸蟹", "GI-0004", "gi", (31,), ("甲壳动物（活的）", "活动物")),
    Plant("新西湖龙井", "GI-0005", "gi", (30,), ("绿茶", "茶")),
    Plant("信阳毛尖王", "GI-0006", "gi", (30,), ("绿茶", "茶")),
    Plant("阿克苏冰糖心苹果", "GI-0007", "gi", (31,), ("新鲜苹果", "新鲜水果")),
    Plant("烟台红富士苹果", "GI-0008", "gi", (31,), ("新鲜苹果", "新鲜水果")),
    Plant("库尔勒香梨园", "GI-0009", "gi", (31,), ("新鲜梨", "新鲜水果")),
    Plant("赣南齐橙", "GI-0010", "gi", (31,), ("新鲜柑橘", "新鲜水果")),
    Plant("金華火腿", "GI-0011", "gi", (29,), ("火腿", "腌制肉")),
    Plant("绍兴老黄酒", "GI-0012", "gi", (33,), ("黄酒", "米酒")),
    # close copies in unrelated classes: alert only when the brand is well known (驰名商标跨类保护)
    Plant("康帅傅", "HZ-0002", "other_class", (25,), ("服装", "鞋")),
    Plant("哇哈哈", "HZ-0001", "other_class", (20,), ("家具",)),
    Plant("五粮液", "HZ-0013", "other_class", (3,), ("化妆品", "香水")),
    Plant("华为", "HZ-0020", "other_class", (31,), ("新鲜水果",)),
    Plant("可口可乐", "HZ-0012", "other_class", (16,), ("书籍", "海报")),
    Plant("雷碧", "HZ-0003", "other_class", (12,), ("自行车", "小汽车")),
    Plant("周黑鸭", "HZ-0008", "other_class", (27,), ("地毯",)),
    Plant("格力", "HZ-0021", "other_class", (25,), ("服装",)),
    Plant("洽洽", "HZ-0006", "other_class", (12,), ("自行车",)),
    Plant("安踏", "HZ-0018", "other_class", (19,), ("建筑用木材",)),
    # hard negatives: share something with a brand but are different marks
    Plant("华硕", "HZ-0020", "hard_negative", (9,), ("计算机", "笔记本电脑")),
    Plant("小牛", "HZ-0019", "hard_negative", (12,), ("电动自行车", "摩托车")),
    Plant("洪泽湖大闸蟹", "GI-0004", "hard_negative", (31,), ("甲壳动物（活的）", "活动物")),
    Plant("响水大米", "GI-0001", "hard_negative", (30,), ("米", "谷类制品")),
    Plant("小米椒", "HZ-0019", "hard_negative", (31,), ("辣椒（植物）", "新鲜蔬菜")),
    Plant("海信", "HZ-0022", "hard_negative", (11,), ("冰箱", "空气调节装置")),
    Plant("格兰仕", "HZ-0021", "hard_negative", (11,), ("微波炉（厨房用具）", "电炊具")),
    Plant("安吉尔", "GI-0002", "hard_negative", (11,), ("饮水机", "水净化装置")),
    Plant("烟台葡萄酒", "GI-0008", "hard_negative", (33,), ("葡萄酒", "果酒（含酒精）")),
    Plant("伊力特", "HZ-0024", "hard_negative", (33,), ("白酒",)),
    # the owners' own new filings: no alert where exclude_applicants names the owner
    Plant("娃哈哈", "HZ-0001", "own_filing", (32,), ("无酒精饮料", "果汁"), applicant="owner"),
    Plant("娃哈哈AD钙奶", "HZ-0001", "own_filing", (29,), ("奶饮料（以奶为主）", "酸奶"), applicant="owner"),
    Plant("农夫山泉", "HZ-0009", "own_filing", (30,), ("茶饮料", "咖啡饮料"), applicant="owner"),
    Plant("农夫山泉 NONGFU SPRING", "HZ-0009", "own_filing", (32,), ("矿泉水（饮料）",),
          mark_type="combined", applicant="owner"),
)
NO_ALERT_KINDS = ("hard_negative", "own_filing", "bad_record")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def find_nice(explicit: str | None) -> Path:
    for candidate in (explicit, os.environ.get("MARKWATCH_NICE_JSONL"), *NICE_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise SystemExit(f"cannot find {NICE_NAME}: pass --nice PATH or set MARKWATCH_NICE_JSONL")


def load_goods(path: Path) -> dict[int, dict[str, list[str]]]:
    """Class -> similar group (类似群) -> goods texts: trailing '*' stripped, first synonym only."""
    out: dict[int, dict[str, list[str]]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["type"] != "item":
                continue
            group = row["parentCode"]
            name = row["name"].split("，")[0].rstrip("*").strip()
            names = out.setdefault(int(group[:2]), {}).setdefault(group, [])
            if name and name not in names:
                names.append(name)
    # sorted groups: the order must not depend on the file's row order
    return {cls: dict(sorted(groups.items())) for cls, groups in sorted(out.items())}


def load_brands(watchlist_dir: Path) -> list[dict]:
    brands: list[dict] = []
    for path in sorted(watchlist_dir.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            spec = yaml.safe_load(fh)
        brands.extend(spec.get("brands") or [])
    if not brands:
        raise SystemExit(f"no brands found in {watchlist_dir}/*.yaml")
    return brands


# --------------------------------------------------------------------------------------------
# Closeness filter for ordinary marks
# --------------------------------------------------------------------------------------------


def _han(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


def _latin(text: str) -> str:
    return "".join(ch for ch in text.upper() if "A" <= ch <= "Z")


def _syllables(text: str) -> list[str]:
    return lazy_pinyin(_han(text), style=Style.NORMAL) if _han(text) else []


CLOSE_RATIO = (3, 5)  # 0.6: pinyin/Latin similarity from which an ordinary candidate is dropped


class CloseFilter:
    """Rejects an ordinary candidate that could pass for a watched brand, so the demo has no
    accidental hits: 2+ shared characters or syllables, the same pinyin, or a Latin part that
    contains a brand's alias or pinyin."""

    def __init__(self, brands: list[dict]):
        self.targets = []
        for b in brands:
            han = _han(b["mark"])
            sylls = _syllables(han)
            aliases = [_latin(a) for a in (b.get("aliases") or []) if _latin(a)]
            self.targets.append((han, list(dict.fromkeys(sylls)), "".join(sylls), aliases))

    def is_close(self, mark: str) -> bool:
        han, latin = _han(mark), _latin(mark)
        sylls = _syllables(han)
        joined = "".join(sylls)
        latin_low = latin.lower()
        for b_han, b_sylls, b_joined, b_aliases in self.targets:
            shared = [ch for ch in dict.fromkeys(han) if ch in b_han]
            if len(shared) >= 2:
                return True
            # one shared character is enough for a 2-character brand when the mark is short (红X ~ 红牛)
            if shared and len(b_han) <= 2 and len(han) <= 3:
                return True
            same_sound = [s for s in dict.fromkeys(sylls) if s in b_sylls]
            if same_sound and (len(same_sound) >= min(2, len(b_sylls)) or (len(b_han) <= 2 and len(han) <= 3)):
                return True
            if joined and joined == b_joined:
                return True
            if b_joined and (b_joined in latin_low or b_joined in joined):
                return True
            # spelled-out sound: pinyin or Latin text that reads much like the brand (xingcheng ~ bingcheng)
            for spelled in (joined, latin_low):
                if spelled and b_joined and _sounds_alike(spelled, b_joined):
                    return True
            for alias in b_aliases:
                if len(alias) >= 4 and (alias in latin or (len(latin) >= 4 and latin in alias)):
                    return True
                if len(alias) < 4 and alias in _latin_tokens(mark):
                    return True
                for spelled in (joined.upper(), latin):
                    if spelled and _sounds_alike(spelled, alias):
                        return True
        return False


def _sounds_alike(a: str, b: str) -> bool:
    """Indel similarity 2*LCS/(|a|+|b|) (rapidfuzz's ``fuzz.ratio``) at least CLOSE_RATIO; integer
    arithmetic, so the answer never depends on float rounding or on whether rapidfuzz is installed."""
    num, den = CLOSE_RATIO
    total = len(a) + len(b)
    if not total or 2 * min(len(a), len(b)) * den < num * total:  # cannot reach the bar
        return False
    if _Indel is not None:  # the same LCS, computed in C
        lcs = (total - _Indel.distance(a, b)) // 2
    else:
        prev = [0] * (len(b) + 1)
        for ca in a:
            cur = [0]
            for j, cb in enumerate(b):
                cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
            prev = cur
        lcs = prev[-1]
    return 2 * lcs * den >= num * total


def _latin_tokens(mark: str) -> list[str]:
    tokens, cur = [], ""
    for ch in mark.upper():
        if "A" <= ch <= "Z":
            cur += ch
        elif cur:
            tokens.append(cur)
            cur = ""
    if cur:
        tokens.append(cur)
    return tokens


# --------------------------------------------------------------------------------------------
# Record generation
# --------------------------------------------------------------------------------------------


Issue = tuple[str, date]  # (gazette issue number, publication date)


class Generator:
    """Draws every random choice from one seeded ``random.Random``, in a fixed order."""

    def __init__(self, rng: random.Random, goods: dict[int, dict[str, list[str]]], brands: list[dict]):
        self.rng = rng
        self.goods = goods
        self.brands = {b["brand_id"]: b for b in brands}
        self.filter = CloseFilter(brands)
        self.used_app_nos: set[str] = set()  # membership only, never iterated
        self.used_marks: set[str] = set()
        self.class_pop = sorted(CLASS_WEIGHTS)
        self.class_w = [CLASS_WEIGHTS[c] for c in self.class_pop]

    # -- identifiers and dates ------------------------------------------------------------
    def filing_date(self) -> date:
        span = (FILING_LAST - FILING_FIRST).days
        return FILING_FIRST + timedelta(days=self.rng.randint(0, span))

    def application_no(self, filed: date) -> str:
        # numbers grow with the filing date, as CNIPA hands them out in order
        base = 76_000_000 + (filed - date(2025, 1, 1)).days * 18_000
        while True:
            no = str(base + self.rng.randint(0, 17_999))
            if no not in self.used_app_nos:
                self.used_app_nos.add(no)
                return no

    # -- applicants -----------------------------------------------------------------------
    def address(self, place: tuple) -> str:
        province, _, city, _, streets = place
        head = city if province == city else province + city
        district, street = self.rng.choice(streets)
        no = self.rng.randint(1, 999)
        tail = self.rng.random()
        if tail < 0.25:
            extra = f"{self.rng.randint(1, 12)}幢{self.rng.randint(1, 30)}{self.rng.randint(1, 20):02d}室"
        elif tail < 0.45:
            extra = f"{self.rng.choice('ABCD')}座{self.rng.randint(2, 28)}层"
        else:
            extra = ""
        return f"{head}{district}{street}{no}号{extra}"

    def applicant(self, classes: tuple[int, ...], name_hint: str | None) -> tuple[str, str]:
        place = self.rng.choice(PLACES)
        if self.rng.random() < 0.15:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            return self.rng.choice(SURNAMES) + given, self.address(place)
        core = name_hint if name_hint and self.rng.random() < 0.5 else self.name2()
        region = place[1] if self.rng.random() < 0.2 else place[3]
        industry = self.rng.choice(INDUSTRY.get(classes[0], INDUSTRY_DEFAULT))
        r = self.rng.random()
        suffix = "有限公司" if r < 0.82 else "有限责任公司" if r < 0.93 else "股份有限公司"
        return f"{region}{core}{industry}{suffix}", self.address(place)

    # -- marks ----------------------------------------------------------------------------
    def name2(self) -> str:
        while True:
            a, b = self.rng.choice(HEAD), self.rng.choice(TAIL)
            if a != b:
                return a + b

    def candidate(self, cls: int) -> str:
        r = self.rng.random()
        if r < 0.38:
            return self.name2()
        if r < 0.58:
            n = self.name2()
            return n + self.rng.choice(SUFFIX_CHAR) if self.rng.random() < 0.7 else self.rng.choice(HEAD) + n
        if r < 0.66:
            return self.name2() + self.rng.choice(TWO_CHAR_WORDS)
        if r < 0.76:
            return self.name2() + self.rng.choice(MARK_GENERIC.get(cls, ("牌",)))
        if r < 0.84:
            n = self.name2()
            latin = "".join(lazy_pinyin(n)).upper() if self.rng.random() < 0.5 else self.latin_word()
            return f"{n} {latin}"
        if r < 0.93:
            return self.latin_word()
        return "".join(lazy_pinyin(self.name2())).upper()

    def latin_word(self) -> str:
        if self.rng.random() < 0.4:
            return self.rng.choice(ENGLISH)
        return "".join(self.rng.choice(LATIN_SYLLABLES) for _ in range(self.rng.choice((2, 3)))).upper()

    def ordinary_mark(self, cls: int) -> str:
        while True:
            mark = self.candidate(cls)
            if mark not in self.used_marks and not self.filter.is_close(mark):
                self.used_marks.add(mark)
                return mark

    # -- goods ----------------------------------------------------------------------------
    def pick_goods(self, classes: tuple[int, ...], hint: tuple[str, ...] = (),
                   prefer_groups: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
        """2-6 real goods of the classes and their groups; hinted goods first, if the table has them."""
        total = self.rng.randint(2, 6)
        chosen: list[tuple[str, str]] = []
        for name in hint:
            group = self.group_of(classes, name)
            if group and (name, group) not in chosen:
                chosen.append((name, group))
        share = [total // len(classes) + (1 if i < total % len(classes) else 0) for i in range(len(classes))]
        for cls, want in zip(classes, share):
            groups = self.goods[cls]
            own = [g for g in prefer_groups if g in groups]
            picks = own or self.rng.sample(sorted(groups), k=min(len(groups), self.rng.choice((1, 1, 2, 3))))
            pool = [(n, g) for g in picks for n in groups[g]]
            if len(pool) < want:  # a small group: widen to the whole class
                pool = [(n, g) for g in groups for n in groups[g]]
            have = sum(1 for _, g in chosen if g in groups)
            for item in self.rng.sample(pool, k=len(pool)):
                if have >= want:
                    break
                if item not in chosen:
                    chosen.append(item)
                    have += 1
        chosen = chosen[:6]
        goods = [n for n, _ in chosen]
        groups = sorted(dict.fromkeys(g for _, g in chosen))
        return goods, groups

    def group_of(self, classes: tuple[int, ...], name: str) -> str | None:
        for cls in classes:
            for group, names in self.goods.get(cls, {}).items():
                if name in names:
                    return group
        return None

    # -- records --------------------------------------------------------------------------
    def record(self, mark: str, classes: tuple[int, ...], mark_type: str, issue: Issue,
               goods_hint: tuple[str, ...] = (), prefer_groups: tuple[str, ...] = (),
               applicant: tuple[str, str] | None = None) -> dict:
        filed = self.filing_date()
        goods, groups = self.pick_goods(classes, goods_hint, prefer_groups)
        name_hint = _han(mark) if 2 <= len(_han(mark)) <= 3 else None
        who, where = applicant or self.applicant(classes, name_hint)
        rec = {"application_no": self.application_no(filed), "mark": mark, "classes": list(classes),
               "goods": goods}
        if self.rng.random() >= GROUPS_MISSING_SHARE:
            rec["similar_groups"] = groups
        rec.update({"applicant": who, "applicant_address": where, "filing_date": filed.isoformat(),
                    "publication_date": issue[1].isoformat(), "gazette_issue": issue[0],
                    "mark_type": mark_type, "office": "CN"})
        return rec

    def ordinary(self, issue: Issue) -> dict:
        first = self.rng.choices(self.class_pop, self.class_w)[0]
        classes = (first,)
        if self.rng.random() < 0.08:
            second = self.rng.choices(self.class_pop, self.class_w)[0]
            if second != first:
                classes = tuple(sorted((first, second)))
        r = self.rng.random()
        if r < 0.03:
            return self.record("", classes, "figurative", issue)
        mark = self.ordinary_mark(first)
        return self.record(mark, classes, "combined" if r < 0.15 else "word", issue)

    def planted(self, plant: Plant, issue: Issue) -> dict:
        brand = self.brands[plant.brand_id]
        missing = [g for g in plant.goods if not self.group_of(plant.classes, g)]
        if missing:  # hints must be real goods texts of the table, or the record would be invented
            raise SystemExit(f"goods {missing} of planted {plant.mark} are not in class {plant.classes}")
        applicant = None
        if plant.applicant == "owner":
            owner = brand["owner"]
            applicant = (owner, OWNER_ADDRESSES[owner])
        self.used_marks.add(plant.mark)
        same_class = any(c in (brand.get("classes") or []) for c in plant.classes)
        prefer = tuple(brand.get("similar_groups") or ()) if same_class else ()
        return self.record(plant.mark, plant.classes, plant.mark_type, issue, plant.goods, prefer, applicant)


def expect_alert(plant: Plant, brand: dict) -> bool:
    if plant.kind in NO_ALERT_KINDS:
        return False
    if plant.kind == "other_class":
        return bool(brand.get("well_known"))
    return True


def _drop_application_no(rec: dict) -> None:
    del rec["application_no"]  # no identity at all


def _class_99(rec: dict) -> None:
    rec["classes"] = [99]  # the Nice classification has 45 classes
    rec.pop("similar_groups", None)


def _impossible_filing_date(rec: dict) -> None:
    rec["filing_date"] = "2026-02-30"


def _impossible_publication_date(rec: dict) -> None:
    rec["publication_date"] = "2026-13-06"


BAD_MUTATIONS = (_drop_application_no, _class_99, _impossible_filing_date, _impossible_publication_date, None)


def bad_records(gen: Generator) -> list[tuple[str, dict]]:
    """Five broken lines for the quarantine path (隔离): (raw line, answer-key row).
    The last one is a line cut short, as by an interrupted download: not JSON at all."""
    out = []
    for mutate in BAD_MUTATIONS:
        while True:  # a word mark, so the answer key can name the record
            rec = gen.ordinary(gen.rng.choice(ISSUES))
            if rec["mark"]:
                break
        if mutate is not None:
            mutate(rec)
            line = json.dumps(rec, ensure_ascii=False)
        else:
            full = json.dumps(rec, ensure_ascii=False)
            line = full[: int(len(full) * 0.6)]
        key = {"application_no": rec.get("application_no"), "mark": rec["mark"], "brand_id": None,
               "kind": "bad_record", "expect_alert": False}
        out.append((line, key))
    return out


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def build(seed: int, count: int, extra_count: int, goods, brands) -> tuple[str, str, bytes]:
    """Returns (gazette JSON Lines, answer key JSON Lines, GBK CSV bytes)."""
    rng = random.Random(seed)
    gen = Generator(rng, goods, brands)
    brand_ids = {b["brand_id"]: b for b in brands}
    for plant in PLANTS:
        if plant.brand_id not in brand_ids:
            raise SystemExit(f"planted mark {plant.mark} names unknown brand {plant.brand_id}")

    planted_recs, key_rows = [], []
    for plant in PLANTS:
        rec = gen.planted(plant, rng.choice(ISSUES))
        planted_recs.append(rec)
        key_rows.append({"application_no": rec["application_no"], "mark": plant.mark,
                         "brand_id": plant.brand_id, "kind": plant.kind,
                         "expect_alert": expect_alert(plant, brand_ids[plant.brand_id])})
    bad = bad_records(gen)
    n_ordinary = count - len(planted_recs) - len(bad)
    if n_ordinary < 0:
        raise SystemExit(f"--count {count} is smaller than the {len(planted_recs) + len(bad)} planted records")
    records = planted_recs + [gen.ordinary(rng.choice(ISSUES)) for _ in range(n_ordinary)]
    # a gazette lists marks by issue, then by application number
    records.sort(key=lambda r: (r["gazette_issue"], r["application_no"]))
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    for line, _ in bad:
        lines.insert(rng.randint(0, len(lines)), line)
    key_rows.extend(k for _, k in bad)

    extra = sorted((gen.ordinary(EXTRA_ISSUE) for _ in range(extra_count)), key=lambda r: r["application_no"])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # as exported by Excel on Windows
    writer.writerow(CSV_COLUMNS)
    for rec in extra:
        row = []
        for col in CSV_COLUMNS:
            value = rec.get(col, "")
            row.append(";".join(str(v) for v in value) if isinstance(value, list) else value)
        writer.writerow(row)
    csv_bytes = buf.getvalue().encode("gbk")  # strict: a character GBK lacks is a bug here

    gazette = "".join(line + "\n" for line in lines)
    answer = "".join(json.dumps(k, ensure_ascii=False) + "\n" for k in key_rows)
    return gazette, answer, csv_bytes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/demo/gazette.jsonl", help="gazette JSON Lines to write")
    ap.add_argument("--count", type=int, default=3000, help="lines in the gazette, planted and bad ones included")
    ap.add_argument("--seed", type=int, default=20261121)
    ap.add_argument("--planted", help="answer key to write (default: planted.jsonl next to --out)")
    ap.add_argument("--extra-csv", help="GBK CSV to write (default: gazette-extra-gbk.csv next to --out)")
    ap.add_argument("--extra-count", type=int, default=100)
    ap.add_argument("--watchlists", default=str(ROOT / "watchlists"), help="folder of watchlist YAML files")
    ap.add_argument("--nice", help=f"path of {NICE_NAME}")
    args = ap.parse_args(argv)

    out = Path(args.out)
    planted = Path(args.planted) if args.planted else out.with_name("planted.jsonl")
    extra_csv = Path(args.extra_csv) if args.extra_csv else out.with_name("gazette-extra-gbk.csv")
    goods = load_goods(find_nice(args.nice))
    brands = load_brands(Path(args.watchlists))
    gazette, answer, csv_bytes = build(args.seed, args.count, args.extra_count, goods, brands)
    for path, data in ((out, gazette.encode("utf-8")), (planted, answer.encode("utf-8")), (extra_csv, csv_bytes)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)  # bytes: no platform newline translation
    print(f"wrote {out} ({gazette.count(chr(10))} lines), {planted} ({answer.count(chr(10))} rows), "
          f"{extra_csv} ({args.extra_count} records)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
