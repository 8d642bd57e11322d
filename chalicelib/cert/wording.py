"""The fixed wording printed on every certificate.

It lives apart from the layout so that `scripts/build_font.py` can read it without importing
fpdf2: the headline face (Noto Serif CJK SC Bold) is subset to exactly these characters, and a
test fails if a string here uses a character the bundled headline font lacks (re-run the build).
Dynamic values (names, dates, numbers, association names) are set in the body face, which covers
all of GBK.
"""

from __future__ import annotations

ISSUER = "中国注册会计师协会"
TITLE = "非执业会员证书"
SUBTITLE = "电子会员证书"
SUBTITLE_EN = "ELECTRONIC CERTIFICATE OF NON-PRACTISING MEMBERSHIP"

# Labels, in the order the fields are printed.
LABEL_NAME = "姓名"
LABEL_GENDER = "性别"
LABEL_BIRTH = "出生日期"
LABEL_MEMBER_NO = "会员证书编号"
LABEL_APPROVAL_DATE = "批准日期"
LABEL_APPROVAL_DOC = "批准文号"
LABEL_ASSOCIATION = "所属协会"
LABEL_ISSUED = "发证日期"
LABEL_CATEGORY = "会员类别"  # printed only for members whose category is not implied (overseas)

# Set in the body face: the sentence embeds the member's name. Chinese text takes no space
# between a name and the words around it; punctuation is full-width throughout.
STATEMENT = "经审核批准，{name}为中国注册会计师协会非执业会员，特发此证。"
OVERSEAS_CATEGORY = "海外非执业会员"
ISSUED_BY = "发证单位"
QR_CAPTION = "扫码核验证书真伪"
FOOTNOTE = "本证书为电子证书，可打印使用；证书真伪及会员状态以扫描二维码核验结果为准。"

#: Everything set in the headline (bold) face.
DISPLAY_STRINGS: tuple[str, ...] = (
    ISSUER,
    TITLE,
    SUBTITLE,
    SUBTITLE_EN,
    LABEL_NAME,
    LABEL_GENDER,
    LABEL_BIRTH,
    LABEL_MEMBER_NO,
    LABEL_APPROVAL_DATE,
    LABEL_APPROVAL_DOC,
    LABEL_ASSOCIATION,
    LABEL_ISSUED,
    LABEL_CATEGORY,
)

#: Fixed text set in the body face (the build script makes sure these are in the body font).
BODY_STRINGS: tuple[str, ...] = (STATEMENT, ISSUED_BY, QR_CAPTION, FOOTNOTE, OVERSEAS_CATEGORY,
                                 "0123456789年月日男女·")
