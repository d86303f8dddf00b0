"""Who a printed byline names: "文 / 本刊编辑部", "文／张三　李四", "本刊记者 王五" → the names, and
whether a name is an organisation's (Google Scholar and schema.org tell persons from organisations).

Pure functions of text, so models, metadata, feeds and citations read bylines the same way.
"""

import re

# "文 / ", "文／", "撰文：", "作者：" before the names.
BYLINE_PREFIX = re.compile(r"^\s*(?:文|撰文|作者|图文|文图)\s*[/／:：]\s*")
# Role words printed before a name ("本刊记者 王五", "通讯员 李四") or after it ("张三 整理").
ROLE_WORDS = re.compile(
    r"^(?:本刊特约记者|本刊特约撰稿人|本刊记者|本刊通讯员|特约记者|特约撰稿人|特约评论员|记者|通讯员|实习生)\s*"
    r"|\s*(?:整理|编译|供稿|摄影|报道)$"
)
NAME_SEPARATORS = re.compile(r"[\s、，,;；]+")
# How the names of organisations end in Chinese bylines: 本刊编辑部, 课题组, 研究会, 服务中心研究部 …
ORGANISATION_ENDINGS = (
    "编辑部", "评论员", "课题组", "调研组", "工作组", "研究组", "项目组", "研究会", "学会", "协会", "商会",
    "联合会", "委员会", "中心", "办公室", "研究部", "研究院", "研究所", "研究室", "公司", "集团", "局", "厅",
    "委", "办", "部", "院", "所", "站", "处", "科", "组",
)  # fmt: skip
MIN_ORGANISATION_LENGTH = 3  # "刘局" is no unit; a one-character ending counts only on a longer name


def byline_names(byline: str) -> list[str]:
    """The names a printed byline gives, in order, its "文 / " prefix and role words left off."""
    text = BYLINE_PREFIX.sub("", byline or "").strip()
    names = []
    for part in NAME_SEPARATORS.split(text):
        name = ROLE_WORDS.sub("", part).strip()
        if name:
            names.append(name)
    return names


def looks_like_organisation(name: str) -> bool:
    """Whether `name` reads as an organisation's ("本刊编辑部", "南滨市电子商务服务中心研究部") rather than a person's."""
    name = name.strip()
    if name.startswith("本刊") or any(name.endswith(ending) and len(ending) > 1 for ending in ORGANISATION_ENDINGS):
        return True
    return len(name) > MIN_ORGANISATION_LENGTH and name.endswith(ORGANISATION_ENDINGS)
