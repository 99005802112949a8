"""Input parsers (数据来源): gazette files and watchlist files."""
