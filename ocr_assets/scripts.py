"""Simplified and traditional Chinese: one pattern, written in simplified characters, for papers in either script."""

# Traditional forms of the characters extraction's and answers' patterns are written in: Taiwan and Hong Kong
# papers print 一、單一選擇題（每題3分）, 第1題, 注意事項, 參考答案; both_scripts() lets one pattern match either script.
TRADITIONAL = dict((  # pairs of simplified and traditional forms
    "题題 选選 择擇 单單 项項 计計 实實 验驗 阅閱 读讀 运運 写寫 听聽 积積 综綜 应應 录錄 断斷 达達 对對 话話 词詞 汇彙 语語 "
    "转轉 换換 须須 试試 监監 结結 准準 证證 铅鉛 笔筆 签簽 纸紙 满滿 为為 论論 图圖 简簡 组組 从從 参參 与與 评評 详詳 "
    "点點 则則 问問 说說 个個 两兩 时時 间間 总總 号號 级級 学學 务務 书書 现現 诗詩 标標 区區"
).split())
SIMPLIFIED = {traditional: simplified for simplified, traditional in TRADITIONAL.items() if traditional != simplified}


def both_scripts(pattern: str) -> str:
    """A regex pattern written in simplified characters that also matches their traditional forms."""
    out, in_class, escaped = [], False, False
    for ch in pattern:
        variant = TRADITIONAL.get(ch, ch)
        if escaped or variant == ch:
            out.append(ch)
        elif in_class:
            out.append(ch + variant)
        else:
            out.append(f"[{ch}{variant}]")
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
    return "".join(out)


def to_simplified(text: str) -> str:
    return "".join(SIMPLIFIED.get(ch, ch) for ch in text)
