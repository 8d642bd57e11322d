/**
 * Login, captcha, forgotten password and password change: the same forms on the member page
 * and the staff admin page.
 */
import { ApiError, messageFor } from "./api.js";
import { h, busy, setMessage } from "./ui.js";
import { t } from "./texts.js";


let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

/** A text field with label, hint and error line. Returns {wrap, input, setError}. */
export function textField(label, { type = "text", required = true, autocomplete, hint, inputmode, maxlength, name } = {}) {
  const id = nextId(name || "fld");
  const err = h("p", { class: "field-error", id: id + "-err", hidden: true });
  const hintNode = hint ? h("p", { class: "hint", id: id + "-hint" }, hint) : null;
  const input = h("input", { id, name: name || id, type, autocomplete, inputmode, maxlength,
    "aria-required": required ? "true" : null, "aria-describedby": [hintNode ? id + "-hint" : "", id + "-err"].join(" ").trim() });
  const wrap = h("div", { class: "field" },
    h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null), input, hintNode, err);
  const setError = (msg) => {
    err.textContent = msg || ""; err.hidden = !msg;
    if (msg) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    wrap.classList.toggle("has-error", Boolean(msg));
  };
  input.addEventListener("input", () => setError(""));
  return { wrap, input, setError };
}

/** Captcha: the image is a button (click or Enter refreshes), next to the code input. */
export function captchaField(api) {
  const f = textField("验证码", { autocomplete: "off", maxlength: "8", name: "captcha" });
  f.input.classList.add("captcha-input");
  f.input.setAttribute("autocapitalize", "characters");
  const img = h("img", { alt: "验证码图片", width: "120", height: "45", hidden: true });
  const wait = h("span", { class: "captcha-wait" }, h("span", { class: "spinner", "aria-hidden": "true" }), "加载中");
  const btn = h("button", { type: "button", class: "captcha-img", title: "看不清?点击刷新验证码", "aria-label": "刷新验证码" }, img, wait);
  const note = h("span", { class: "captcha-note" }, t("captcha_note"));
  const row = h("div", { class: "captcha-row" }, f.input, btn);
  f.wrap.insertBefore(row, f.wrap.querySelector(".field-error"));
  f.wrap.insertBefore(note, f.wrap.querySelector(".field-error"));
  let captchaId = "";
  const refresh = async () => {
    btn.disabled = true;
    try {
      const c = await api.get("/auth/captcha", { auth: false });
      captchaId = c.captcha_id;
      img.src = c.image;
      img.hidden = false;
      wait.hidden = true;
      f.input.value = "";
    } catch (e) {
      wait.textContent = "点击重试";
      f.setError(t("captcha_failed"));
    } finally {
      btn.disabled = false;
    }
  };
  btn.addEventListener("click", () => { refresh(); f.input.focus(); });
  return { ...f, refresh, get id() { return captchaId; }, get code() { return f.input.value.trim(); } };
}

/** Place an API error on the form: captcha errors next to the captcha, the rest on top. */
function showFormError(err, formMsg, captcha, fields = {}) {
  if (err instanceof ApiError && err.code === "CAPTCHA_INVALID" && captcha) {
    captcha.setError(messageFor(err));
    captcha.input.focus();
    return;
  }
  if (err instanceof ApiError && err.body.field && fields[err.body.field]) {
    fields[err.body.field].setError(messageFor(err));
    fields[err.body.field].input.focus();
    return;
  }
  if (err instanceof ApiError && err.code === "VALIDATION_FAILED" && Array.isArray(err.body.errors)) {
    let placed = false;
    for (const e of err.body.errors) {
      if (fields[e.key]) { fields[e.key].setError(e.message); if (!placed) fields[e.key].input.focus(); placed = true; }
    }
    if (placed) return;
  }
  setMessage(formMsg, "error", messageFor(err));
}

/**
 * The login form.
 * opts.userTypes: ["member", "staff"] (radio) or a single type.
 * opts.onSuccess({token, user, userType}); opts.onForgot(userType).
 */
export function loginForm(api, { userTypes = ["member", "staff"], onSuccess, onForgot, links = [] } = {}) {
  const form = h("form", { class: "stack login-form", novalidate: true, "aria-label": "登录" });
  const msg = h("div", { class: "form-message", hidden: true, "aria-live": "polite" });
  let userType = userTypes[0];
  const username = textField("会员证书编号", { autocomplete: "username", inputmode: "numeric", maxlength: "64", name: "username" });
  const password = textField("密码", { type: "password", autocomplete: "current-password", maxlength: "128", name: "password" });
  const captcha = captchaField(api);

  const applyType = () => {
    const isMember = userType === "member";
    username.wrap.querySelector("label").firstChild.textContent = isMember ? "会员证书编号" : "用户名";
    username.input.setAttribute("inputmode", isMember ? "numeric" : "text");
    username.input.placeholder = isMember ? t("member_no_placeholder") : "职员用户名";
  };

  form.append(msg);
  if (userTypes.length > 1) {
    const labels = { member: "非执业会员", staff: "职员" };
    const group = h("fieldset", { class: "segmented" }, h("legend", {}, "用户类型"),
      userTypes.map((t) => {
        const id = nextId("ut");
        return h("span", { class: "segment" },
          h("input", { type: "radio", name: "user_type", id, value: t, checked: t === userType,
            onchange: () => { userType = t; applyType(); } }),
          h("label", { for: id }, labels[t]));
      }));
    form.append(group);
  }
  form.append(username.wrap, password.wrap, captcha.wrap);
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "登录");
  const forgot = h("button", { type: "button", class: "link-button", onclick: () => onForgot && onForgot(userType) }, "忘记密码?");
  form.append(submit, h("div", { class: "form-links" }, forgot, ...links));
  applyType();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    let ok = true;
    for (const [f, text] of [[username, userType === "member" ? t("enter_member_no") : "请输入用户名"],
      [password, t("enter_password")], [captcha, t("enter_captcha")]]) {
      if (!f.input.value.trim()) { f.setError(text); if (ok) f.input.focus(); ok = false; }
    }
    if (!ok) return;
    await busy(submit, "正在登录…", async () => {
      try {
        const res = await api.post("/auth/login", {
          user_type: userType, username: username.input.value.trim(), password: password.input.value,
          captcha_id: captcha.id, captcha_code: captcha.code,
        }, { auth: false });
        password.input.value = "";
        onSuccess({ ...res, userType });
      } catch (err) {
        showFormError(err, msg, captcha);
        if (!(err instanceof ApiError && err.code === "CAPTCHA_INVALID")) password.input.select();
        captcha.refresh();
      }
    });
  });
  captcha.refresh();
  return { node: form, focus: () => username.input.focus(), reset: () => { captcha.refresh(); setMessage(msg, null, ""); } };
}

/**
 * Forgotten password in two steps: (1) user type + username + captcha → a code is e-mailed;
 * (2) code + new password → done. The server never says whether the account exists.
 */
export function forgotForm(api, { userType = "member", onDone, onCancel } = {}) {
  const root = h("div", { class: "stack" });
  const msg = h("div", { class: "form-message", hidden: true, "aria-live": "polite" });
  const step1 = h("form", { class: "stack", novalidate: true, "aria-label": "找回密码:获取验证码" });
  const step2 = h("form", { class: "stack", novalidate: true, hidden: true, "aria-label": "找回密码:设置新密码" });
  const isMember = userType === "member";
  const username = textField(isMember ? "会员证书编号" : "用户名", { autocomplete: "username", maxlength: "64", name: "fp-username" });
  const captcha = captchaField(api);
  const send = h("button", { type: "submit", class: "btn btn-primary btn-block" }, t("forgot_send"));
  step1.append(h("p", { class: "muted" }, t("forgot_intro")), username.wrap, captcha.wrap, send);

  const code = textField("邮件验证码", { autocomplete: "one-time-code", maxlength: "12", name: "fp-code" });
  const pw1 = textField("新密码", { type: "password", autocomplete: "new-password", maxlength: "128", hint: t("password_hint"), name: "fp-pw1" });
  const pw2 = textField("确认新密码", { type: "password", autocomplete: "new-password", maxlength: "128", name: "fp-pw2" });
  const save = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "设置新密码");
  step2.append(code.wrap, pw1.wrap, pw2.wrap, save,
    h("button", { type: "button", class: "link-button", onclick: () => { step2.hidden = true; step1.hidden = false; captcha.refresh(); } }, t("forgot_resend")));

  const cancel = h("button", { type: "button", class: "link-button", onclick: () => onCancel && onCancel() }, "返回登录");
  root.append(msg, step1, step2, h("div", { class: "form-links" }, cancel));

  step1.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    if (!username.input.value.trim()) { username.setError(isMember ? t("enter_member_no") : "请输入用户名"); username.input.focus(); return; }
    if (!captcha.code) { captcha.setError(t("enter_captcha")); captcha.input.focus(); return; }
    await busy(send, "正在发送…", async () => {
      try {
        const res = await api.post("/auth/password/forgot", { user_type: userType, username: username.input.value.trim(),
          captcha_id: captcha.id, captcha_code: captcha.code }, { auth: false });
        step1.hidden = true; step2.hidden = false;
        setMessage(msg, "info", res.message || t("forgot_sent"));
        code.input.focus();
      } catch (err) {
        showFormError(err, msg, captcha);
        captcha.refresh();
      }
    });
  });

  step2.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    let ok = true;
    if (!code.input.value.trim()) { code.setError(t("enter_mail_code")); ok = false; }
    if (pw1.input.value.length < 8) { pw1.setError(t("password_too_short")); ok = false; }
    if (pw1.input.value !== pw2.input.value) { pw2.setError(t("password_mismatch")); ok = false; }
    if (!ok) { step2.querySelector("[aria-invalid=true]").focus(); return; }
    await busy(save, "正在保存…", async () => {
      try {
        await api.post("/auth/password/reset", { user_type: userType, username: username.input.value.trim(),
          code: code.input.value.trim(), new_password: pw1.input.value }, { auth: false });
        onDone && onDone(t("password_reset_done"));
      } catch (err) {
        if (err instanceof ApiError && err.code === "RESET_CODE_INVALID") { code.setError(messageFor(err)); code.input.focus(); return; }
        showFormError(err, msg, null, { new_password: pw1, code });
      }
    });
  });
  captcha.refresh();
  return { node: root, focus: () => username.input.focus() };
}

/** Password change (forced on first login, or voluntary). onDone(newToken). */
export function changePasswordForm(api, { forced = false, onDone, onCancel } = {}) {
  const form = h("form", { class: "stack", novalidate: true, "aria-label": "修改密码" });
  const msg = h("div", { class: "form-message", hidden: true, "aria-live": "polite" });
  const old = textField(forced ? "初始密码" : "原密码", { type: "password", autocomplete: "current-password", maxlength: "128", name: "cp-old" });
  const pw1 = textField("新密码", { type: "password", autocomplete: "new-password", maxlength: "128", hint: t("password_hint"), name: "cp-new" });
  const pw2 = textField("确认新密码", { type: "password", autocomplete: "new-password", maxlength: "128", name: "cp-confirm" });
  const save = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "确认修改");
  if (forced) form.append(h("div", { class: "alert alert-info", role: "status" }, t("first_login")));
  form.append(msg, old.wrap, pw1.wrap, pw2.wrap, save);
  if (onCancel) form.append(h("button", { type: "button", class: "link-button", onclick: onCancel }, forced ? "退出登录" : "取消"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    let ok = true;
    if (!old.input.value) { old.setError("请输入" + (forced ? "初始密码" : "原密码")); ok = false; }
    if (pw1.input.value.length < 8) { pw1.setError(t("password_too_short")); ok = false; }
    else if (pw1.input.value === old.input.value) { pw1.setError(t("password_unchanged")); ok = false; }
    if (pw1.input.value !== pw2.input.value) { pw2.setError(t("password_mismatch")); ok = false; }
    if (!ok) { form.querySelector("[aria-invalid=true]").focus(); return; }
    await busy(save, "正在保存…", async () => {
      try {
        const res = await api.post("/auth/password/change", { old_password: old.input.value, new_password: pw1.input.value });
        onDone && onDone(res);
      } catch (err) {
        if (err instanceof ApiError && (err.code === "WRONG_PASSWORD" || err.code === "LOGIN_FAILED")) {
          old.setError(forced ? "初始密码不正确" : "原密码不正确"); old.input.focus(); return;
        }
        showFormError(err, msg, null, { new_password: pw1, old_password: old });
      }
    });
  });
  return { node: form, focus: () => old.input.focus() };
}
