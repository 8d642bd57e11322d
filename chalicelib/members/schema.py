"""The member record's field schema and the associations, as data.

One table drives validation, the completeness check, both pages' forms, the Excel template and
`GET /meta` (also served as `/meta/fields`). Everything a client needs to agree with the server
lives here or is served from here: the fields, the fields an application requires, the identity
fields, the membership, photo and application status values with their Chinese labels, the
validation patterns with their messages, and the photo spec numbers (owned by
`chalicelib.photo.spec`). Changing a label, an option list, a required flag, an edit right or a
pattern is a one-line change here and nowhere else; the pages read it from `/meta`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# -- option lists -------------------------------------------------------------------------------

GENDERS = ("男", "女")

ID_TYPES = (
    "居民身份证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "港澳台居民居住证",
    "外国人永久居留身份证", "护照", "其他",
)
RESIDENT_ID = "居民身份证"

QUALIFICATION_METHODS = ("考试全科合格", "考核")

# GB 3304: the 56 ethnic groups, then the two extra codes the standard defines.
ETHNICITIES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族",
    "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
    "外国血统", "其他",
)

# GB/T 4762 political status.
POLITICAL_STATUSES = (
    "中国共产党党员", "中国共产党预备党员", "中国共产主义青年团团员",
    "中国国民党革命委员会会员", "中国民主同盟盟员", "中国民主建国会会员", "中国民主促进会会员",
    "中国农工民主党党员", "中国致公党党员", "九三学社社员", "台湾民主自治同盟盟员",
    "无党派人士", "群众",
)

EMPLOYMENT_STATUSES = ("在职", "离职待业", "退休", "在校学习", "其他")

EMPLOYER_NATURES = (
    "会计师事务所", "党政机关", "事业单位", "国有企业", "民营企业", "外资企业", "金融机构",
    "高等院校及科研机构", "社会组织", "其他",
)

JOB_FIELDS = (
    "财务会计", "审计(含内部审计)", "税务", "管理咨询", "投融资与资本市场", "风险管理与内部控制",
    "教学科研", "政府监管", "综合管理", "其他",
)

JOB_LEVELS = (
    "决策层(董事长、总经理等)", "高级管理层(财务总监、总会计师等)", "中级管理层(部门负责人等)",
    "基层管理或业务骨干", "一般员工", "其他",
)

ACHIEVEMENT_TYPES = (
    "无", "国家级奖励", "省部级奖励", "地市级奖励", "行业协会奖励", "专著或教材", "学术论文",
    "课题研究", "其他",
)

INDUSTRY_HONORS = (
    "无", "全国会计领军人才", "注册会计师行业领军人才", "全国先进会计工作者",
    "全国会计行业先进个人", "省级行业荣誉", "其他",
)

EDUCATIONS = ("博士研究生", "硕士研究生", "大学本科", "大学专科", "中专或高中", "其他")

DEGREES = ("博士", "硕士", "学士", "无")

FOREIGN_LANGUAGES = ("无", "英语", "日语", "俄语", "德语", "法语", "韩语", "西班牙语", "阿拉伯语", "其他")

FOREIGN_LANGUAGE_LEVELS = ("精通", "熟练", "良好", "一般")

TITLE_TYPES = ("无", "会计", "审计", "经济", "统计", "高校教师", "工程", "其他")

TITLE_LEVELS = ("无", "正高级", "副高级", "中级", "初级")

# -- associations -------------------------------------------------------------------------------

NATIONAL_CODE = "100000"

# (6-digit code, name). Province codes follow GB/T 2260; the separately-listed cities use their
# city codes; the Xinjiang Production and Construction Corps uses 660000, as national systems do.
ASSOCIATIONS: tuple[tuple[str, str], ...] = (
    ("110000", "北京注册会计师协会"),
    ("120000", "天津市注册会计师协会"),
    ("130000", "河北省注册会计师协会"),
    ("140000", "山西省注册会计师协会"),
    ("150000", "内蒙古自治区注册会计师协会"),
    ("210000", "辽宁省注册会计师协会"),
    ("210200", "大连市注册会计师协会"),
    ("220000", "吉林省注册会计师协会"),
    ("230000", "黑龙江省注册会计师协会"),
    ("310000", "上海市注册会计师协会"),
    ("320000", "江苏省注册会计师协会"),
    ("330000", "浙江省注册会计师协会"),
    ("330200", "宁波市注册会计师协会"),
    ("340000", "安徽省注册会计师协会"),
    ("350000", "福建省注册会计师协会"),
    ("350200", "厦门市注册会计师协会"),
    ("360000", "江西省注册会计师协会"),
    ("370000", "山东省注册会计师协会"),
    ("370200", "青岛市注册会计师协会"),
    ("410000", "河南省注册会计师协会"),
    ("420000", "湖北省注册会计师协会"),
    ("430000", "湖南省注册会计师协会"),
    ("440000", "广东省注册会计师协会"),
    ("440300", "深圳市注册会计师协会"),
    ("450000", "广西壮族自治区注册会计师协会"),
    ("460000", "海南省注册会计师协会"),
    ("500000", "重庆市注册会计师协会"),
    ("510000", "四川省注册会计师协会"),
    ("520000", "贵州省注册会计师协会"),
    ("530000", "云南省注册会计师协会"),
    ("540000", "西藏自治区注册会计师协会"),
    ("610000", "陕西省注册会计师协会"),
    ("620000", "甘肃省注册会计师协会"),
    ("630000", "青海省注册会计师协会"),
    ("640000", "宁夏回族自治区注册会计师协会"),
    ("650000", "新疆维吾尔自治区注册会计师协会"),
    ("660000", "新疆生产建设兵团注册会计师协会"),
    (NATIONAL_CODE, "中国注册会计师协会(海外会员)"),
)
ASSOCIATION_NAMES: dict[str, str] = dict(ASSOCIATIONS)

# -- fields -------------------------------------------------------------------------------------

GROUPS: tuple[tuple[str, str], ...] = (
    ("basic", "基本信息"),
    ("membership", "会籍信息"),
    ("career", "工作信息"),
    ("contact", "联系方式"),
    ("education", "教育与资格"),
)


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str  # text | select | date | id_number | mobile | phone | email | postal_code | qq | association
    group: str
    required: bool = False
    member_editable: bool = False
    options: tuple[str, ...] = ()
    max_length: int = 100
    importable: bool = True
    hint: str = ""
    multiline: bool = False  # a line break is allowed (the form shows a text area)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["options"] = list(self.options)
        return d


_F = Field
FIELDS: tuple[Field, ...] = (
    # basic identity: staff-only
    _F("name", "姓名", "text", "basic", required=True, max_length=50),
    _F("gender", "性别", "select", "basic", required=True, options=GENDERS),
    _F("id_type", "证件类型", "select", "basic", required=True, options=ID_TYPES),
    _F("id_number", "证件号码", "id_number", "basic", required=True, max_length=30,
       hint="居民身份证为18位,末位可为X"),
    _F("birth_date", "出生日期", "date", "basic", required=True),
    _F("ethnicity", "民族", "select", "basic", required=True, options=ETHNICITIES),
    _F("political_status", "政治面貌", "select", "basic", required=True, member_editable=True,
       options=POLITICAL_STATUSES),
    _F("hukou_location", "户口所在地", "text", "basic", member_editable=True),
    # membership and qualification: staff-only
    _F("member_no", "会员证书编号", "text", "membership", importable=False, max_length=12,
       hint="系统生成,也是登录用户名"),
    _F("association", "所属协会", "association", "membership", required=True),
    _F("qualification_method", "资格取得方式", "select", "membership", required=True,
       options=QUALIFICATION_METHODS),
    _F("qualification_no", "全科合格证号或考核批准文号", "text", "membership", required=True),
    _F("approval_doc_no", "会员批准文件号", "text", "membership", required=True),
    _F("approval_date", "会员批准日期", "date", "membership", required=True),
    # career: member-editable
    _F("employment_status", "职业状态", "select", "career", required=True, member_editable=True,
       options=EMPLOYMENT_STATUSES),
    _F("employer", "工作单位", "text", "career", member_editable=True),
    _F("employer_nature", "单位性质", "select", "career", required=True, member_editable=True,
       options=EMPLOYER_NATURES),
    _F("industry", "具体行业", "text", "career", member_editable=True),
    _F("job_field", "职务领域", "select", "career", required=True, member_editable=True,
       options=JOB_FIELDS),
    _F("job_level", "职务层级", "select", "career", required=True, member_editable=True,
       options=JOB_LEVELS),
    _F("achievements", "突出成果和重要奖励", "select", "career", member_editable=True,
       options=ACHIEVEMENT_TYPES),
    _F("achievement_name", "成果奖励名称", "text", "career", member_editable=True, max_length=200,
       multiline=True),
    _F("industry_honors", "国家级行业荣誉", "select", "career", member_editable=True,
       options=INDUSTRY_HONORS),
    # contact: member-editable
    _F("mobile", "移动电话", "mobile", "contact", required=True, member_editable=True, max_length=20),
    _F("office_phone", "办公电话", "phone", "contact", member_editable=True, max_length=30),
    _F("email", "电子邮箱", "email", "contact", required=True, member_editable=True, max_length=254),
    _F("address", "通讯地址", "text", "contact", required=True, member_editable=True, max_length=200,
       multiline=True),
    _F("postal_code", "邮政编码", "postal_code", "contact", member_editable=True, max_length=6),
    _F("qq", "QQ号", "qq", "contact", member_editable=True, max_length=12),
    # education and qualifications: member-editable
    _F("education", "学历", "select", "education", required=True, member_editable=True, options=EDUCATIONS),
    _F("degree", "学位", "select", "education", member_editable=True, options=DEGREES),
    _F("major", "所学专业", "text", "education", required=True, member_editable=True),
    _F("school", "毕业院校", "text", "education", required=True, member_editable=True),
    _F("foreign_language", "外语语种", "select", "education", member_editable=True,
       options=FOREIGN_LANGUAGES),
    _F("foreign_language_level", "外语水平", "select", "education", member_editable=True,
       options=FOREIGN_LANGUAGE_LEVELS),
    _F("title_type", "专业技术职称种类", "select", "education", member_editable=True, options=TITLE_TYPES),
    _F("title_level", "专业技术职称等级", "select", "education", member_editable=True, options=TITLE_LEVELS),
    _F("domestic_qualifications", "国内资格", "text", "education", member_editable=True, max_length=200,
       multiline=True),
    _F("international_qualifications", "国际资格", "text", "education", member_editable=True,
       max_length=200,
       multiline=True),
    _F("other_qualifications", "其他资格", "text", "education", member_editable=True, max_length=200,
       multiline=True),
)

FIELDS_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
REQUIRED_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS if f.required)
MEMBER_EDITABLE_KEYS: frozenset[str] = frozenset(f.key for f in FIELDS if f.member_editable)

# What a public application must carry: enough to create the member and to reach the applicant.
APPLICATION_REQUIRED: tuple[str, ...] = ("name", "id_type", "id_number", "email", "mobile", "association")

# The fields that identify a person (one member per identity; the public lookup asks for them).
IDENTITY_KEYS: tuple[str, ...] = ("name", "id_type", "id_number")

# The fields checked against each other: a resident ID encodes birth date and gender.
ID_CONSISTENCY_KEYS: tuple[str, ...] = ("id_type", "id_number", "birth_date", "gender")

# -- status values and their labels ------------------------------------------------------------

MEMBER_STATUSES: tuple[tuple[str, str], ...] = (("active", "正常"), ("suspended", "暂停"), ("cancelled", "注销"))
MEMBER_STATUS_LABELS: dict[str, str] = dict(MEMBER_STATUSES)

PHOTO_STATUSES: tuple[tuple[str, str], ...] = (
    ("none", "无照片"), ("pending", "核验中"), ("accepted", "照片合格"), ("rejected", "照片不合格"),
    ("review", "待人工审核"),
)
PHOTO_STATUS_LABELS: dict[str, str] = dict(PHOTO_STATUSES)

APPLICATION_STATUSES: tuple[tuple[str, str], ...] = (("pending", "待审核"), ("approved", "已通过"), ("rejected", "已驳回"))
APPLICATION_STATUS_LABELS: dict[str, str] = dict(APPLICATION_STATUSES)

# A server-side job (export, import commit, bulk certificates), as the staff page shows it.
JOB_STATUSES: tuple[tuple[str, str], ...] = (
    ("planning", "准备中"), ("running", "进行中"), ("assembling", "正在生成文件"), ("done", "已完成"),
    ("failed", "失败"), ("cancelled", "已取消"),
)

# -- validation patterns ------------------------------------------------------------------------
# Written in the common subset of Python `re` and JavaScript `RegExp`: anchored with ^ and $,
# ASCII classes only. The server matches them with re.fullmatch and re.ASCII (so `\d` is 0-9 and
# a trailing newline is not accepted, as in JavaScript); the pages compile the same strings.
# `{label}` in a message is the field's label.


@dataclass(frozen=True)
class Pattern:
    pattern: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"pattern": self.pattern, "message": self.message}


MOBILE_MESSAGE = "{label}应为11位手机号码(境外号码以+国家代码开头)"
# DEL, the C1 controls and the invisible direction controls, as a character-class body (the C0
# controls are added per pattern: a multi-line field keeps the line feed).
_INVISIBLE = r"\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069"
_CONTROL_MESSAGE = "{label}含有控制字符或不可见的文字方向符号,请删除后重新填写"
PATTERNS: dict[str, Pattern] = {
    "mobile_cn": Pattern(r"^1[3-9]\d{9}$", MOBILE_MESSAGE),
    "mobile_intl": Pattern(r"^\+[1-9]\d{6,14}$", MOBILE_MESSAGE),
    "phone": Pattern(r"^(?:\+?\d{1,4}[- ]?)?(?:0\d{2,3}[- ]?)?\d{7,8}(?:[- ]?(?:转|-)?\d{1,6})?$",
                     "{label}格式不正确,例如 010-12345678"),
    "email": Pattern(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$", "{label}格式不正确"),
    "postal_code": Pattern(r"^\d{6}$", "{label}应为6位数字"),
    "qq": Pattern(r"^[1-9]\d{4,11}$", "{label}应为5至12位数字"),
    "date": Pattern(r"^\d{4}-\d{2}-\d{2}$", "{label}格式应为 YYYY-MM-DD"),
    "resident_id": Pattern(r"^[1-9]\d{16}[\dX]$", "居民身份证号码无效(应为18位,校验位不正确或出生日期无效)"),
    "member_no": Pattern(r"^\d{12}$", "会员证书编号应为12位数字"),
    "other_id": Pattern(r"^[A-Za-z0-9()\-]{5,30}$", "{label}只能包含字母、数字、括号和连字符,5至30位"),
    # Every text value: no C0/C1 control characters (NUL, ESC, ...: they break exports and
    # printing) and no invisible bidi controls (U+202A-202E embeddings/overrides, U+2066-2069
    # isolates, the U+200E/200F/061C marks), which can make a name or number read backwards.
    # U+2028/2029 are line breaks in disguise. A multi-line field allows the line feed only.
    "text_line": Pattern(r"^[^\x00-\x1F" + _INVISIBLE + r"]*$", _CONTROL_MESSAGE),
    "text_multiline": Pattern(r"^[^\x00-\x09\x0B-\x1F" + _INVISIBLE + r"]*$", _CONTROL_MESSAGE + "(可以换行)"),
}
# Which pattern(s) check a field type: a value passes when any of them matches.
TYPE_PATTERNS: dict[str, tuple[str, ...]] = {
    "mobile": ("mobile_cn", "mobile_intl"),
    "phone": ("phone",),
    "email": ("email",),
    "postal_code": ("postal_code",),
    "qq": ("qq",),
}
# Messages of the checks that are not a single pattern.
MESSAGES: dict[str, str] = {
    "required": "请填写{label}",
    "application_required": "{label}为必填项",
    "too_long": "{label}不能超过{max_length}个字符",
    "select": "{label}请从下拉选项中选择",
    "association": "{label}不是有效的协会代码",
    "date_invalid": "{label}不是有效日期",
    "date_future": "{label}不能晚于今天",
    "birth_mismatch": "出生日期与身份证号码不一致(身份证为{value})",
    "gender_mismatch": "性别与身份证号码不一致(身份证为{value})",
}


def message(name: str, label: str = "", **values: Any) -> str:
    """A message from MESSAGES or PATTERNS with its placeholders filled."""
    template = PATTERNS[name].message if name in PATTERNS else MESSAGES[name]
    return template.format(label=label, **values)


def _pairs(items: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"value": v, "label": label} for v, label in items]


def meta() -> dict[str, Any]:
    """The member part of `GET /meta` (the route adds the photo spec, which the photo room owns)."""
    return {
        "fields": [f.to_dict() for f in FIELDS],
        "groups": [{"key": k, "label": v} for k, v in GROUPS],
        "associations": [{"code": c, "name": n} for c, n in ASSOCIATIONS],
        "application_required": list(APPLICATION_REQUIRED),
        "identity_fields": list(IDENTITY_KEYS),
        "id_consistency_fields": list(ID_CONSISTENCY_KEYS),
        "resident_id_type": RESIDENT_ID,
        "statuses": {
            "member": _pairs(MEMBER_STATUSES),
            "photo": _pairs(PHOTO_STATUSES),
            "application": _pairs(APPLICATION_STATUSES),
            "job": _pairs(JOB_STATUSES),
        },
        "validation": {
            "patterns": {k: p.to_dict() for k, p in PATTERNS.items()},
            "type_patterns": {k: list(v) for k, v in TYPE_PATTERNS.items()},
            "messages": dict(MESSAGES),
        },
    }
