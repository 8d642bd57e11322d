"""The member-facing texts that the web page and the mini-program both show, as data.

Both clients must say the same thing in the same words (the member manual is written against
them). The mini-program reads this table from `GET /meta/messages` instead of keeping its own
copy, and so does the web page (`frontend/js/texts.js`); a test fails when either client carries a
copy of a text of this table. Placeholders are `{name}`. The API's own error messages are not
repeated here: clients show the `message` of an error body as given.
"""

from __future__ import annotations

from typing import Any

from chalicelib.members import schema
from chalicelib.photo.spec import SPEC


def _KB(n: int) -> int:
    return n // 1024


def _MB(n: int) -> int:
    return n // (1024 * 1024)


_DPI = int(SPEC.min_dpi)

# Keys whose texts are built from the schema or the photo spec (also served by GET /meta).
DERIVED = frozenset({"photo_status_labels", "field_checks", "photo_requirements", "photo_auto_fit",
                     "source_too_large", "upload_size"})

TEXTS: dict[str, Any] = {
    # session and network
    "session_expired": "登录已失效,请重新登录",
    "network_error": "网络连接失败,请检查网络后重试",
    "logged_out": "您已安全退出",
    "member_no_hint": "会员证书编号即登录用户名。如不知道编号,可通过姓名和证件号码查询。",
    # login, captcha, passwords
    "member_no_placeholder": "12位会员证书编号",
    "enter_member_no": "请输入会员证书编号",
    "enter_password": "请输入密码",
    "enter_captcha": "请输入验证码",
    "captcha_note": "看不清?点击图片换一张",
    "captcha_failed": "验证码加载失败,请点击图片重试",
    "password_hint": "至少8位;不能包含用户名,不能使用常见密码。建议字母、数字和符号组合。",
    "password_too_short": "密码长度至少为8位",
    "password_mismatch": "两次输入的密码不一致",
    "password_unchanged": "新密码不能与原密码相同",
    "first_login": "首次登录,请先修改初始密码。",
    "password_changed": "密码已修改",
    "forgot_intro": "系统将向您登记的电子邮箱发送验证码。",
    "forgot_send": "发送验证码到电子邮箱",
    "forgot_sent": "如该账号存在且登记了电子邮箱,验证码已发送,请查收邮件。",
    "forgot_resend": "没有收到?重新获取验证码",
    "enter_mail_code": "请输入邮件中的验证码",
    "password_reset_done": "密码已重置,请使用新密码登录",
    # public lookup
    "enter_name": "请输入姓名",
    "enter_id_number": "请输入证件号码",
    "lookup_activated": "已激活",
    "lookup_not_activated": "未激活(请使用所属注协告知的初始密码首次登录)",
    # the certificate page
    "status_title": "您的会籍状态为「{status}」",
    "not_active": "只有会籍状态正常的会员可以上传照片和下载会员证。",
    "status_contact": "如有疑问,请联系{contact}。",
    "photo_missing": "没有查询到照片信息",
    "photo_unavailable": "获取照片信息失败",
    "upload_before_download": "下载会员证前,请先上传本人近期证件照。",
    "photo_status_lines": {
        "pending": "您上传的照片正在核验中,请稍候刷新查看结果。",
        "review": "您的照片已提交所属注协人工审核,审核通过后即可下载会员证。",
        "rejected": "您上次上传的照片未通过核验,请重新上传。",
    },
    "photo_status_labels": dict(schema.PHOTO_STATUS_LABELS),
    "complete_label": "信息完整",
    "incomplete_label": "信息不完整",
    "confirm_hint": "请核对以上信息和照片,确认无误后下载会员证(PDF,可彩色打印)。",
    "confirm_and_download": "信息确认并下载会员证",
    "generating": "正在生成会员证,请稍候…",
    "downloaded": "会员证已下载",
    # completing the record
    "info_incomplete": "请您先将基础信息中的必填信息补充完整",
    "missing_prefix": "尚未填写:",
    "locked_note": "请联系所属注协修改",
    "locked_explained": "标注“请联系所属注协修改”的信息由所属注协维护,您无法自行修改。",
    "form_invalid": "填写的信息有误,请按提示修改",
    "save_and_submit": "保存并提交信息",
    "info_saved": "信息已保存",
    "info_saved_incomplete": "信息已保存,但仍有必填信息未填写",
    "required_field": "请填写{label}",
    "field_checks": {
        "select": schema.MESSAGES["select"],
        "date": schema.PATTERNS["date"].message,
        "mobile": schema.PATTERNS["mobile_cn"].message,
        "phone": schema.PATTERNS["phone"].message,
        "email": schema.PATTERNS["email"].message,
        "postal_code": schema.PATTERNS["postal_code"].message,
        "qq": schema.PATTERNS["qq"].message,
    },
    # photo upload
    "photo_requirements": [
        "近期(一年内)一寸免冠正面证件照,白色背景,照片清晰、完整;",
        f"JPEG 格式,文件大小 {_KB(SPEC.min_bytes)}–{_KB(SPEC.max_bytes)} KB;",
        f"尺寸 {SPEC.width} × {SPEC.height} 像素(宽 × 高),分辨率不低于 {_DPI} × {_DPI} dpi;",
        "头肩部正面构图,照片中只能有本人;不得使用生活照、全身照。",
    ],
    "photo_rule_help": {
        "format": "请选择 JPEG、PNG 或 HEIC 格式的照片文件。",
        "size_bytes": "请使用系统自动处理后的候选照片上传。",
        "dimensions": "请使用系统自动处理后的候选照片上传。",
        "dpi": "请使用系统自动处理后的候选照片上传。",
        "background": "请在白色或浅色纯色墙面前重新拍摄,避免阴影和杂物;系统不会替换背景。",
        "exactly_one_face": "请上传本人正面免冠照片,画面中只能有本人。",
        "face_size_and_position": "请正对镜头,头部居中,拍摄头肩部(不要全身照或距离过远)。",
        "sharpness": "请在光线充足处对焦拍摄,避免抖动;不要用小图放大。",
        "face_match": "请上传本人近期照片;如确为本人,可再次尝试或联系所属注协。",
    },
    "example_caption": "合格示例",
    "example_width": "宽 {width} 像素",
    "example_height": "高 {height} 像素",
    "example_spec": "白色背景 · 头肩部正面 · JPEG {size} · 不低于 {dpi} dpi",
    "photo_auto_fit": f"您可以直接选择手机或电脑中的照片(JPEG、PNG 或 HEIC,不超过 {_MB(SPEC.prepare_max_bytes)} MB),系统会自动裁剪并压缩为符合规格的候选照片供您确认;系统不会修改照片背景。",
    "attempts_prefix": "剩余人脸比对次数:",
    "consent_title": "人脸信息处理告知",
    "consent_agree": "我已阅读并同意上述人脸信息处理规则",
    "consent_required": "请先勾选同意人脸信息处理规则",
    "consent_continue": "同意并继续",
    "source_too_large": f"照片文件过大,请选择不超过 {_MB(SPEC.prepare_max_bytes)} MB 的照片",
    "preparing": "正在自动处理照片(裁剪、压缩、检查规格)…",
    "spec_ok": "照片符合规格。确认上传后,系统将与您的全科合格电子照片进行人脸比对。",
    "spec_failed_title": "照片不符合要求",
    "spec_failed": "请按提示重新拍摄或选择照片后再上传。",
    "confirm_upload": "确认上传",
    "upload_size": f"照片文件大小不符合要求(应为 {_KB(SPEC.min_bytes)}–{_KB(SPEC.max_bytes)} KB)",
    "upload_failed": "照片上传失败,请重试",
    "checking_note": "请勿关闭页面。核验包括照片规格检查和人脸比对,通常需要几秒钟。",
    "check_timeout": "照片核验时间较长,请稍后刷新页面查看结果",
    "attempts_hint": "多次比对未通过时,照片将提交所属注协人工审核。",
    "match_success": "比对成功",
    "match_success_detail": "照片已通过规格检查和人脸比对,可以下载会员证了。",
    "go_download": "去下载会员证",
    "match_failed": "比对失败",
    "failed_items": "未通过的项目及处理办法:",
    "attempts_left": "您还可以上传 {n} 次。",
    "sent_to_review": "照片已提交所属注协人工审核。",
    "review_title": "已提交所属注协人工审核",
    "review_detail": "您的照片多次比对未通过,已提交所属注协人工审核。审核通过后即可下载会员证,请耐心等待。",
    "review_waiting": "您的照片正在由所属注协人工审核,审核通过后即可下载会员证。",
    "choose_again": "重新选择照片",
}


def messages() -> dict[str, Any]:
    """The body of `GET /meta/messages`."""
    return {"texts": TEXTS}
