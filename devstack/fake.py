"""Generated fake people for demo data, tests and benchmarks (never real persons).

ID numbers carry a valid GB 11643 check digit and agree with the generated birth date and
gender; region codes come from the association so they look plausible.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from chalicelib.members.schema import (
    DEGREES,
    EDUCATIONS,
    EMPLOYER_NATURES,
    EMPLOYMENT_STATUSES,
    ETHNICITIES,
    JOB_FIELDS,
    JOB_LEVELS,
    NATIONAL_CODE,
    POLITICAL_STATUSES,
)
from chalicelib.members.validation import resident_id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 文 辉 建华 玉兰 晨 浩 宇 轩 "
         "子涵 欣怡 梓萱 一诺 思远 嘉怡 俊杰 雨桐 婉清 佳琪 喆 堃 玥 祎 昇 淼 鑫 晗 珺 琰 璟").split()


def resident_id(rng: random.Random, region: str, born: date, gender: str) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if gender == "男" else 0)
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(0, 10)}{seq:02d}"[:17]
    # the 17th digit (index 16) carries the gender: keep it consistent
    if int(first17[16]) % 2 != (1 if gender == "男" else 0):
        first17 = first17[:16] + str((int(first17[16]) + 1) % 10)
    return first17 + resident_id_check_digit(first17)


def person(rng: random.Random, association: str, *, complete: bool = True) -> dict[str, str]:
    gender = rng.choice(("男", "女"))
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35))
    region = association if association != NATIONAL_CODE else "110101"
    region = (region[:4] + "01") if region.endswith("0000") else region
    approved = date(2005, 1, 1) + timedelta(days=rng.randrange(0, 365 * 19))
    overseas = association == NATIONAL_CODE
    rec = {
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "gender": gender,
        "id_type": "护照" if overseas else "居民身份证",
        "id_number": (f"E{rng.randrange(10**7, 10**8)}" if overseas
                      else resident_id(rng, region, born, gender)),
        "birth_date": born.isoformat(),
        "ethnicity": rng.choice(ETHNICITIES[:10]),
        "political_status": rng.choice(POLITICAL_STATUSES),
        "association": association,
        "qualification_method": "考试全科合格",
        "qualification_no": f"{approved.year}{rng.randrange(10**7, 10**8)}",
        "approval_doc_no": f"会批字〔{approved.year}〕{rng.randrange(1, 300)}号",
        "approval_date": approved.isoformat(),
        "employment_status": rng.choice(EMPLOYMENT_STATUSES[:3]),
        "employer": rng.choice(("示例科技有限公司", "演示会计师事务所", "样例投资集团", "虚构大学")),
        "employer_nature": rng.choice(EMPLOYER_NATURES),
        "job_field": rng.choice(JOB_FIELDS),
        "job_level": rng.choice(JOB_LEVELS),
        "mobile": ("+6591234567" if overseas else f"13{rng.randrange(10**8, 10**9)}"),
        "email": f"demo{rng.randrange(10**6)}@example.com",
        "address": "示例路1号演示大厦" if not overseas else "1 Example Street, Singapore",
        "postal_code": "100000",
        "education": rng.choice(EDUCATIONS[:4]),
        "degree": rng.choice(DEGREES),
        "major": rng.choice(("会计学", "财务管理", "审计学", "金融学")),
        "school": rng.choice(("示例财经大学", "演示大学", "样例商学院")),
    }
    if not complete:
        for key in ("employer_nature", "job_field", "job_level", "education"):
            rec[key] = ""
    return rec
