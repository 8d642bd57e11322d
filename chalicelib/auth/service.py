"""What the auth routes do: sign in and out, password change and recovery, member-number lookup.

Rules that hold throughout:
- An unknown account, a wrong password and a disabled account give one and the same answer, and
  cost the same work (argon2 runs against a dummy hash when there is no account).
- Password recovery answers identically whether or not the account exists or has an address.
- The captcha is checked first, so a request without a solved captcha costs no argon2 work.
- Nothing personal is logged (no names, ID numbers or e-mail addresses).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Protocol, Sequence

from chalicelib import metrics
from chalicelib.auth import captcha, passwords, revocation, throttle, tokens
from chalicelib.auth.models import AccountModel
from chalicelib.auth.repository import DYNAMO, AccountExists, AuthRepository
from chalicelib.db import utcnow_iso
from chalicelib.errors import AppError, BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from chalicelib.principal import MEMBER, Principal

log = logging.getLogger(__name__)

USER_TYPES = ("member", "staff")
MAX_INPUT = 128

RESET_CODE_TTL = timedelta(minutes=15)
RESET_CODE_MAX_TRIES = 5
FORGOT_PER_ACCOUNT_PER_HOUR = 3  # beyond this, mail is silently not sent (same answer)
FORGOT_PER_CLIENT_PER_HOUR = 10
LOOKUP_PER_CLIENT_PER_HOUR = 20

FORGOT_ANSWER = {
    "ok": True,
    "message": "如果该账号存在且预留了电子邮箱,验证码已发送至该邮箱,15分钟内有效。未收到请联系所属注协。",
}


class MemberLike(Protocol):
    member_no: str
    association: str
    name: str


class MemberDirectory(Protocol):
    """What auth needs to know about members, supplied by the members room (wired at the edge,
    so that auth never imports members and members may use auth's account writer)."""

    def name_of(self, member_no: str) -> str: ...

    def email_of(self, member_no: str) -> str: ...

    def association_name(self, code: str) -> str: ...

    def find_by_identity(self, id_type: str, id_number: str, *, limit: int = 5) -> Sequence[MemberLike]: ...


class LoginFailed(Unauthorized):
    code = "LOGIN_FAILED"
    message = "用户名或密码错误"


class ResetCodeInvalid(BadRequest):
    code = "RESET_CODE_INVALID"
    message = "验证码错误或已过期,请重新获取"


class WrongPassword(BadRequest):
    code = "WRONG_PASSWORD"
    message = "原密码不正确"


class LookupNotFound(NotFound):
    code = "LOOKUP_NOT_FOUND"
    message = "未查询到匹配的会员信息,请核对姓名、证件类型和证件号码"


# -- input ----------------------------------------------------------------------------------------

def _text(body: Mapping[str, Any], key: str, label: str, *, max_len: int = MAX_INPUT,
          strip: bool = True) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"请填写{label}", code="MISSING_FIELD", field=key)
    value = value.strip() if strip else value
    if len(value) > max_len:
        raise BadRequest(f"{label}过长", code="FIELD_TOO_LONG", field=key)
    return value


def _user_type(body: Mapping[str, Any]) -> str:
    user_type = body.get("user_type")
    if user_type not in USER_TYPES:
        raise BadRequest("请选择用户类型(会员或注协用户)", code="INVALID_USER_TYPE", field="user_type")
    return str(user_type)


def _account_id(user_type: str, username: str) -> str:
    # Staff usernames are case-insensitive (the CLI stores them in lower case).
    return AccountModel.key(user_type, username.lower() if user_type == "staff" else username)


def _check_captcha(settings: Any, body: Mapping[str, Any], repo: AuthRepository) -> None:
    captcha_id, code = body.get("captcha_id"), body.get("captcha_code")
    captcha.verify(settings, captcha_id if isinstance(captcha_id, str) else None,
                   code if isinstance(code, str) else None, repo=repo)


def _load_account(account_id: str, repo: AuthRepository) -> AccountModel | None:
    return repo.get_account(account_id)


def _too_many(seconds: int, message: str) -> TooManyRequests:
    return TooManyRequests(message, retry_after=int(seconds))


def cutoff_now() -> int:
    """A `tokens_valid_after` that voids every token issued up to and including this second.

    Token `iat` has whole-second resolution, so the cut-off is the *next* second; tokens issued
    right after a change carry that second as `iat` (see `_issue`)."""
    return int(time.time()) + 1


# -- the user as clients see it ----------------------------------------------------------------

def user_view(directory: MemberDirectory, account: AccountModel) -> dict[str, Any]:
    display = account.display_name or ""
    if account.role == MEMBER and not display and account.member_no:
        display = directory.name_of(account.member_no)
    return {
        "username": account.username,
        "role": account.role,
        "association": account.association,
        "association_name": directory.association_name(account.association),
        "member_no": account.member_no or "",
        "display_name": display,
        "must_change_password": bool(account.must_change_password),
    }


def _issue(settings: Any, directory: MemberDirectory, account: AccountModel) -> dict[str, Any]:
    # Never issue a token older than the account's cut-off (a change in this very second).
    now = max(time.time(), float(account.tokens_valid_after or 0))
    token, _ = tokens.issue(settings.token_key, sub=account.account_id, role=account.role,
                            association=account.association, member_no=account.member_no or "",
                            must_change_password=bool(account.must_change_password),
                            ttl_seconds=settings.token_ttl_seconds, now=now)
    return {"token": token, "expires_in": settings.token_ttl_seconds, "user": user_view(directory, account)}


# -- sign in / out --------------------------------------------------------------------------------

def login(settings: Any, directory: MemberDirectory, body: Mapping[str, Any], client_ip: str, *,
          repo: AuthRepository = DYNAMO) -> dict[str, Any]:
    user_type = _user_type(body)
    username = _text(body, "username", "用户名", max_len=64)
    password = _text(body, "password", "密码", strip=False)
    _check_captcha(settings, body, repo)

    account_id = _account_id(user_type, username)
    wait = max(throttle.wait_seconds(throttle.ACCOUNT, account_id, repo=repo),
               throttle.wait_seconds(throttle.CLIENT, client_ip, repo=repo))
    if wait:
        raise _too_many(wait, f"登录失败次数过多,请{wait}秒后再试")

    account = _load_account(account_id, repo)
    ok = passwords.verify_password(account.password_hash if account else None, password)
    if not ok or account is None or account.disabled:
        throttle.record_failure(throttle.ACCOUNT, account_id, repo=repo)
        throttle.record_failure(throttle.CLIENT, client_ip, repo=repo)
        log.info("login failed type=%s", user_type)
        metrics.count(metrics.LOGIN_FAILURES)
        raise LoginFailed()

    throttle.clear(throttle.ACCOUNT, account_id, repo=repo)
    if passwords.needs_rehash(account.password_hash):
        repo.update_account(account, password_hash=passwords.hash_password(password))
    return _issue(settings, directory, account)


def logout(principal: Principal, *, repo: AuthRepository = DYNAMO) -> dict[str, Any]:
    revocation.revoke(principal.jti, principal.exp or int(time.time()) + 3600, repo=repo)
    return {"ok": True}


def session(directory: MemberDirectory, principal: Principal, *, repo: AuthRepository = DYNAMO) -> dict[str, Any]:
    account = _load_account(principal.username, repo)
    if account is None:
        raise Unauthorized()
    return {"user": user_view(directory, account), "expires_at": principal.exp}


# -- password change (signed in) ------------------------------------------------------------------

def _set_password(account: AccountModel, new_hash: str, cutoff: int, repo: AuthRepository) -> None:
    repo.update_account(account, password_hash=new_hash, must_change_password=False,
                        tokens_valid_after=cutoff, updated_at=utcnow_iso())


def change_password(settings: Any, directory: MemberDirectory, principal: Principal, body: Mapping[str, Any], *,
                    repo: AuthRepository = DYNAMO) -> dict[str, Any]:
    old = _text(body, "old_password", "原密码", strip=False)
    new = _text(body, "new_password", "新密码", strip=False)
    account = _load_account(principal.username, repo)
    if account is None or account.disabled:
        raise Unauthorized()
    wait = throttle.wait_seconds(throttle.ACCOUNT, account.account_id, repo=repo)
    if wait:
        raise _too_many(wait, f"密码错误次数过多,请{wait}秒后再试")
    if not passwords.verify_password(account.password_hash, old):
        throttle.record_failure(throttle.ACCOUNT, account.account_id, repo=repo)
        raise WrongPassword()
    passwords.check_policy(new, username=account.username)
    if new == old:
        raise ValidationFailed("新密码不能与原密码相同", code="PASSWORD_UNCHANGED",
                               errors=[{"key": "new_password", "label": "新密码",
                                        "message": "新密码不能与原密码相同"}])
    _set_password(account, passwords.hash_password(new), cutoff_now(), repo)
    revocation.revoke(principal.jti, principal.exp or int(time.time()) + 3600, repo=repo)
    return _issue(settings, directory, account)  # `update` has loaded the new values into `account`


# -- password recovery ----------------------------------------------------------------------------

def _code_digest(settings: Any, account_id: str, code: str) -> str:
    return hmac.new(settings.token_key.encode(), f"reset:{account_id}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def _address_on_file(directory: MemberDirectory, account: AccountModel) -> str:
    if account.user_type == "staff":
        return account.email or ""
    return directory.email_of(account.member_no or "")


def _reset_mail(account: AccountModel, code: str) -> tuple[str, str]:
    who = "会员证书编号" if account.user_type == "member" else "注协用户名"
    subject = f"【非执业会员电子证书系统】找回密码验证码 {code}"
    text = (
        "您好:\n\n"
        f"您正在找回{who} {account.username} 的登录密码。\n\n"
        f"验证码:{code}\n\n"
        f"验证码15分钟内有效,最多可尝试{RESET_CODE_MAX_TRIES}次,仅可使用一次。"
        "请在找回密码页面输入验证码并设置新密码;设置成功后,该账号在其他设备上的登录将全部失效。\n\n"
        "如果这不是您本人的操作,请忽略本邮件,您的密码不会改变。请勿将验证码告诉任何人,"
        "工作人员不会向您索要验证码。\n\n"
        "此邮件由系统自动发送,请勿回复。\n"
    )
    return subject, text


def forgot_password(settings: Any, mailer: Any, directory: MemberDirectory, body: Mapping[str, Any], client_ip: str, *,
                    repo: AuthRepository = DYNAMO) -> dict[str, Any]:
    user_type = _user_type(body)
    username = _text(body, "username", "用户名", max_len=64)
    _check_captcha(settings, body, repo)
    wait = throttle.hit("forgot", client_ip, limit=FORGOT_PER_CLIENT_PER_HOUR, window_seconds=3600, repo=repo)
    if wait:
        raise _too_many(wait, f"操作过于频繁,请{wait}秒后再试")

    account_id = _account_id(user_type, username)
    # Counted for every typed name, existing or not, so limiting reveals nothing either.
    if throttle.hit("forgot-acct", account_id, limit=FORGOT_PER_ACCOUNT_PER_HOUR, window_seconds=3600, repo=repo):
        return dict(FORGOT_ANSWER)
    account = _load_account(account_id, repo)
    if account is None or account.disabled:
        return dict(FORGOT_ANSWER)
    address = _address_on_file(directory, account)
    if not address or "@" not in address:
        return dict(FORGOT_ANSWER)

    code = f"{secrets.randbelow(10**6):06d}"
    repo.put_item(f"reset#{account_id}", {"h": _code_digest(settings, account_id, code), "tries": 0},
                  datetime.now(timezone.utc) + RESET_CODE_TTL)
    subject, text = _reset_mail(account, code)
    try:
        mailer.send(address, subject, text)
    except AppError:
        # Answering differently would reveal that the account exists; the mailer logged it.
        log.warning("reset mail not sent")
    return dict(FORGOT_ANSWER)


def _consume_reset_code(settings: Any, account_id: str, code: str, repo: AuthRepository) -> None:
    key = f"reset#{account_id}"
    item = repo.get_item(key)
    if item is None:
        raise ResetCodeInvalid()
    if item.expired() or int(item.data["tries"]) >= RESET_CODE_MAX_TRIES:
        raise ResetCodeInvalid()
    if not hmac.compare_digest(str(item.data["h"]), _code_digest(settings, account_id, code)):
        tries = repo.add_to_item(key, "tries", 1)
        if tries is not None and tries >= RESET_CODE_MAX_TRIES:
            repo.delete_item(key)
        raise ResetCodeInvalid()
    # single use, even for two concurrent requests with the right code
    if not repo.take_item(key):
        raise ResetCodeInvalid()


def reset_password(settings: Any, body: Mapping[str, Any], *, repo: AuthRepository = DYNAMO) -> dict[str, Any]:
    user_type = _user_type(body)
    username = _text(body, "username", "用户名", max_len=64)
    code = _text(body, "code", "验证码", max_len=16)
    new = _text(body, "new_password", "新密码", strip=False)
    account_id = _account_id(user_type, username)
    # Policy first, so a weak choice does not use up the code.
    passwords.check_policy(new, username=username)
    _consume_reset_code(settings, account_id, code, repo)
    account = _load_account(account_id, repo)
    if account is None or account.disabled:
        raise ResetCodeInvalid()
    _set_password(account, passwords.hash_password(new), cutoff_now(), repo)
    throttle.clear(throttle.ACCOUNT, account_id, repo=repo)
    log.info("password reset type=%s", user_type)
    return {"ok": True, "message": "密码已重置,请使用新密码登录"}


# -- public member-number lookup -----------------------------------------------------------------

def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def lookup(settings: Any, directory: MemberDirectory, body: Mapping[str, Any], client_ip: str, *,
           repo: AuthRepository = DYNAMO) -> dict[str, Any]:
    name = _text(body, "name", "姓名", max_len=64)
    id_type = _text(body, "id_type", "证件类型", max_len=32)
    id_number = _text(body, "id_number", "证件号码", max_len=40)
    _check_captcha(settings, body, repo)
    wait = throttle.hit("lookup", client_ip, limit=LOOKUP_PER_CLIENT_PER_HOUR, window_seconds=3600, repo=repo)
    if wait:
        raise _too_many(wait, f"查询过于频繁,请{wait}秒后再试")

    for member in directory.find_by_identity(id_type, id_number.replace(" ", "")):
        if not _same_name(member.name or "", name):
            continue
        account = _load_account(AccountModel.key("member", member.member_no), repo)
        activated = bool(account and not account.disabled and not account.must_change_password)
        return {
            "member_no": member.member_no,
            "association": member.association,
            "association_name": directory.association_name(member.association),
            "activated": activated,
        }
    raise LookupNotFound()


# -- account creation (staff CLI, member approval) --------------------------------------------------

def create_account(*, user_type: str, username: str, role: str, association: str, member_no: str = "",
                   display_name: str = "", email: str | None = None, repo: AuthRepository = DYNAMO) -> str:
    """Create an account with a random initial password (returned once; must be changed at first
    sign-in). 409 ACCOUNT_EXISTS if the account already exists."""
    initial = passwords.generate_initial_password()
    account = AccountModel(AccountModel.key(user_type, username), user_type=user_type, username=username,
                           role=role, association=association, member_no=member_no or None,
                           display_name=display_name, email=email or None,
                           password_hash=passwords.hash_password(initial), must_change_password=True)
    try:
        repo.add_account(account)
    except AccountExists as exc:
        raise Conflict("该账号已存在", code="ACCOUNT_EXISTS") from exc
    return initial


def reset_to_initial_password(account_id: str, *, repo: AuthRepository = DYNAMO) -> str:
    """A new random initial password for an existing account; its tokens die at once."""
    account = _load_account(account_id, repo)
    if account is None:
        raise NotFound("账号不存在", code="ACCOUNT_NOT_FOUND")
    initial = passwords.generate_initial_password()
    repo.update_account(account, password_hash=passwords.hash_password(initial), must_change_password=True,
                        tokens_valid_after=cutoff_now(), updated_at=utcnow_iso())
    throttle.clear(throttle.ACCOUNT, account_id, repo=repo)
    return initial


def issue_member_initial_password(member_no: str, association: str, display_name: str, *,
                                  repo: AuthRepository = DYNAMO) -> str:
    """A new random initial password for a member's account (created if missing, e.g. after an
    import); shown once, must be changed at first sign-in, and every earlier token dies at once,
    including one issued in this very second."""
    account_id = AccountModel.key("member", member_no)
    account = _load_account(account_id, repo)
    initial = passwords.generate_initial_password()
    if account is None:
        now = utcnow_iso()
        repo.put_account(member_account(member_no, association, display_name, passwords.hash_password(initial), now,
                                        tokens_valid_after=cutoff_now()))
    else:
        repo.update_account(account, password_hash=passwords.hash_password(initial), must_change_password=True,
                        tokens_valid_after=cutoff_now(), updated_at=utcnow_iso())
    return initial


def member_account(member_no: str, association: str, name: str, password_hash: str, now: str,
                   *, tokens_valid_after: int = 0) -> AccountModel:
    """A new member account item, for callers that write it together with the member record."""
    return AccountModel(AccountModel.key("member", member_no), user_type="member", username=member_no,
                        role=MEMBER, association=association, member_no=member_no, display_name=name,
                        password_hash=password_hash, must_change_password=True,
                        tokens_valid_after=tokens_valid_after, created_at=now, updated_at=now)


def add_new_account(tx: Any, account: AccountModel) -> None:
    """Put a new account in the caller's transaction (e.g. with the member it belongs to); the
    whole transaction fails if the account already exists."""
    tx.save(account, condition=AccountModel.account_id.does_not_exist())


def set_disabled(account_id: str, disabled: bool, *, repo: AuthRepository = DYNAMO) -> None:
    account = _load_account(account_id, repo)
    if account is None:
        raise NotFound("账号不存在", code="ACCOUNT_NOT_FOUND")
    changes: dict[str, Any] = {"disabled": disabled, "updated_at": utcnow_iso()}
    if disabled:
        changes["tokens_valid_after"] = cutoff_now()
    repo.update_account(account, **changes)
