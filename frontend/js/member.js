/**
 * The member page (/): login, the certificate card, photo upload, completing the record.
 * Mobile first; it stands in for the mini-program.
 */
import { Api, ApiError, loadMeta, messageFor } from "./api.js";
import { changePasswordForm, forgotForm, loginForm } from "./auth.js";
import { RecordForm } from "./forms.js";
import {
  ACCEPT, MAX_SOURCE_BYTES, checkReport, mimeOf, pollUpload, postPresigned, requirementsList,
} from "./photo.js";
import {
  $, alertBox, busy, clear, dataUrlToBlob, h, progress, saveBlob, setMessage, showView, MEMBER_STATUS,
} from "./ui.js";

const api = new Api("member");
const staffApi = new Api("staff");
const state = { me: null, meta: null, photoUrl: null, notice: null };

api.onSessionExpired = () => {
  state.me = null;
  showLogin("登录已失效,请重新登录");
};

// ---------------------------------------------------------------------------------------------
// login, password

function showLogin(message, kind = "warning") {
  $("#header-user").hidden = true;
  const form = loginForm(api, {
    userTypes: ["member", "staff"],
    onSuccess: onLoggedIn,
    onForgot: showForgot,
  });
  clear($("#login-slot"), form.node);
  setMessage($("#login-message"), kind, message || "");
  showView("login");
}

function onLoggedIn({ token, user, userType }) {
  if (userType === "staff" || (user && user.role && user.role !== "member")) {
    staffApi.saveSession(token, user);
    window.location.assign("/admin/");
    return;
  }
  api.saveSession(token, user);
  if (user && user.must_change_password) showChangePassword(true);
  else loadHome();
}

function showForgot(userType) {
  const f = forgotForm(api, {
    userType,
    onDone: (msg) => showLogin(msg, "success"),
    onCancel: () => showLogin(),
  });
  clear($("#forgot-slot"), f.node);
  showView("forgot");
  f.focus();
}

function showChangePassword(forced) {
  const f = changePasswordForm(api, {
    forced,
    onDone: (res) => {
      if (res && res.token) api.saveSession(res.token, { ...(api.user || {}), ...(res.user || {}), must_change_password: false });
      state.notice = alertBox("success", null, "密码已修改");
      loadHome();
    },
    onCancel: forced ? logout : () => renderCert(),
  });
  clear($("#change-slot"), f.node);
  showView("change");
  f.focus();
}

async function logout() {
  try { if (api.token) await api.post("/auth/logout"); } catch (e) { /* the token is dropped anyway */ }
  api.clearSession();
  state.me = null;
  showLogin("您已安全退出", "info");
}

// ---------------------------------------------------------------------------------------------
// home: the certificate card

async function loadHome() {
  showView("loading");
  try {
    const [me, meta] = await Promise.all([api.get("/me"), loadMeta(api)]);
    state.me = me;
    state.meta = meta;
  } catch (err) {
    if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
    if (err instanceof ApiError && err.code === "PASSWORD_CHANGE_REQUIRED") { showChangePassword(true); return; }
    clear($("#cert-slot"), alertBox("error", "加载失败", messageFor(err)),
      h("button", { type: "button", class: "btn", onclick: loadHome }, "重试"));
    showView("cert");
    return;
  }
  const m = state.me.member || {};
  $("#header-name").textContent = m.name ? `${m.name}(${m.member_no || ""})` : (api.user && api.user.username) || "";
  $("#header-user").hidden = false;
  await renderCert();
}

/** Whether a certificate photo is on file, from GET /me. */
function hasPhoto(photo) {
  if (!photo) return false;
  if (typeof photo.has_photo === "boolean") return photo.has_photo && (!photo.status || photo.status === "accepted");
  if (typeof photo.current === "boolean") return photo.current;
  return photo.status === "accepted";
}

function photoLine(status) {
  return {
    pending: "您上传的照片正在核验中,请稍候刷新查看结果。",
    review: "您的照片已提交所属注协人工审核,审核通过后即可下载会员证。",
    rejected: "您上次上传的照片未通过核验,请重新上传。",
  }[status];
}

async function renderCert() {
  const me = state.me;
  const m = me.member || {};
  const photo = me.photo || {};
  const complete = !me.completeness || me.completeness.complete;
  const slot = $("#cert-slot");
  clear(slot);
  if (state.notice) { slot.append(state.notice); state.notice = null; }
  showView("cert");

  const status = me.status || m.status || "active";
  if (status !== "active") {
    slot.append(alertBox("warning", `您的会籍状态为「${MEMBER_STATUS[status] || status}」`,
      h("p", {}, "只有会籍状态正常的会员可以下载会员证。如有疑问,请联系所属注协。")));
  }

  // 1. incomplete information
  if (!complete) {
    slot.append(incompleteCard(me.completeness.missing || []));
  }

  // 2. the photo and the member's information for confirmation
  const card = h("section", { class: "card cert-card", "aria-labelledby": "cert-card-title" },
    h("h2", { class: "card-title", id: "cert-card-title" }, "会员信息确认"));
  const photoBox = h("div", { class: "cert-photo" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" }), " 正在获取照片…"));
  const facts = h("dl", { class: "kv cert-facts" });
  const shown = [
    ["姓名", m.name], ["性别", m.gender], ["出生日期", m.birth_date], ["会员证书编号", m.member_no],
    ["所属协会", m.association_name || assocName(m.association)], ["会员批准日期", m.approval_date],
    ["会员批准文件号", m.approval_doc_no],
  ];
  for (const [k, v] of shown) facts.append(h("div", { class: "kv-row" }, h("dt", {}, k), h("dd", {}, v || "—")));
  const photoMsg = h("div", { class: "photo-message" });
  const actions = h("div", { class: "actions cert-actions" });
  const result = h("div", { class: "download-result", "aria-live": "polite" });
  card.append(h("div", { class: "cert-body" }, photoBox, facts), photoMsg, actions, result);
  slot.append(card);
  slot.append(h("div", { class: "card more-card" },
    h("h2", {}, "其他服务"),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn", onclick: () => showInfo() }, "查看 / 修改基础信息"),
      h("button", { type: "button", class: "btn", onclick: () => showUpload() }, hasPhoto(photo) ? "重新上传照片" : "上传照片"),
      h("button", { type: "button", class: "btn", onclick: () => showChangePassword(false) }, "修改密码"))));

  let photoOk = false;
  if (hasPhoto(photo)) {
    try {
      const { blob } = await api.get("/me/photo", { accept: "image/jpeg" });
      if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
      state.photoUrl = URL.createObjectURL(blob);
      clear(photoBox, h("figure", { class: "photo-frame" },
        h("img", { src: state.photoUrl, alt: "会员证照片", width: "178", height: "220" }),
        h("figcaption", {}, "会员证照片")));
      photoOk = true;
    } catch (err) {
      const unavailable = err instanceof ApiError && (err.code === "PHOTO_UNAVAILABLE" || err.status === 503);
      if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
      showNoPhoto(photoBox, photoMsg, actions, unavailable ? "获取照片信息失败" : "没有查询到照片信息", photo, unavailable);
      return;
    }
  } else {
    showNoPhoto(photoBox, photoMsg, actions, "没有查询到照片信息", photo, false);
    return;
  }

  if (photoOk) {
    const line = photo.status && photo.status !== "accepted" ? photoLine(photo.status) : "";
    if (line) photoMsg.append(alertBox("info", null, line));
    photoMsg.append(h("p", { class: "muted small" }, "请核对以上信息和照片,确认无误后下载会员证(PDF,可彩色打印)。"));
    const btn = h("button", { type: "button", class: "btn btn-primary btn-block", id: "download-cert" }, "信息确认并下载会员证");
    if (!complete || status !== "active") btn.setAttribute("aria-describedby", "cert-card-title");
    btn.addEventListener("click", () => {
      if (!complete) {
        // refused before asking the server, with the same words the server would use
        clear(result, alertBox("warning", "请您先将基础信息中的必填信息补充完整"));
        const go = $("#go-complete");
        if (go) { go.scrollIntoView({ block: "center" }); go.focus(); }
        return;
      }
      downloadCertificate(btn, result);
    });
    actions.append(btn);
  }
}

function showNoPhoto(photoBox, photoMsg, actions, headline, photo, unavailable) {
  clear(photoBox, h("div", { class: "photo-empty" }, "暂无照片"));
  // the message and the way forward come first, above the member's details
  const body = photoBox.closest(".cert-body");
  body.before(photoMsg, actions);
  const extra = photoLine(photo.status);
  photoMsg.append(alertBox(unavailable ? "error" : "warning", headline,
    extra ? h("p", {}, extra) : null,
    unavailable ? h("p", {}, "照片服务暂时不可用,请稍后重试;也可以重新上传照片。")
      : h("p", {}, "下载会员证前,请先上传本人近期证件照。")));
  if (photo.status !== "review") {
    actions.append(h("button", { type: "button", class: "btn btn-primary btn-block", id: "go-upload", onclick: () => showUpload() }, "上传照片"));
  }
  if (unavailable || photo.status === "pending") {
    actions.append(h("button", { type: "button", class: "btn btn-block", onclick: loadHome }, "重试"));
  }
}

function incompleteCard(missing) {
  return h("section", { class: "card incomplete-card", "aria-labelledby": "incomplete-title" },
    alertBox("warning", null,
      h("p", { class: "alert-title", id: "incomplete-title" }, "请您先将基础信息中的必填信息补充完整"),
      missing.length ? h("p", {}, "尚未填写:", missing.map((x) => x.label).join("、")) : null),
    h("button", { type: "button", class: "btn btn-primary btn-block", id: "go-complete", onclick: () => showInfo(missing) }, "补充基础信息"));
}

function assocName(code) {
  const a = state.meta && state.meta.associations.find((x) => x.code === code);
  return a ? a.name : code;
}

async function downloadCertificate(btn, result) {
  clear(result);
  const p = progress("正在生成会员证,请稍候…");
  result.append(p.node);
  try {
    const file = await busy(btn, "正在生成会员证…", () =>
      api.get("/me/certificate", { accept: "application/pdf", filename: `会员证_${state.me.member.member_no}.pdf` }));
    const link = saveBlob(file.blob, file.filename);
    clear(result, alertBox("success", "会员证已下载", h("p", {}, `文件名:${file.filename}`), link));
  } catch (err) {
    clear(result);
    if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
    if (err instanceof ApiError && err.code === "INFO_INCOMPLETE") {
      state.me.completeness = { complete: false, missing: err.body.missing || [] };
      result.append(incompleteCard(err.body.missing || []));
      $("#go-complete", result).focus();
      return;
    }
    if (err instanceof ApiError && (err.code === "PHOTO_MISSING" || err.code === "PHOTO_UNAVAILABLE")) {
      result.append(alertBox(err.code === "PHOTO_MISSING" ? "warning" : "error", messageFor(err)),
        h("button", { type: "button", class: "btn btn-primary btn-block", onclick: () => showUpload() }, "上传照片"));
      return;
    }
    result.append(alertBox("error", "下载失败", h("p", {}, messageFor(err))));
  }
}

// ---------------------------------------------------------------------------------------------
// completing the record

function showInfo(missingHint) {
  const me = state.me;
  const missing = (me.completeness && me.completeness.missing) || missingHint || [];
  const editable = new Set(me.editable_fields || state.meta.fields.filter((f) => f.member_editable).map((f) => f.key));
  const form = new RecordForm(state.meta, {
    values: me.member || {},
    canEdit: (f) => editable.has(f.key),
    lockedNote: "请联系所属注协修改",
    requireAll: true,
    idPrefix: "me-",
  });
  form.markMissing(missing.map((x) => x.key));
  const msg = h("div", { class: "form-message", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "save-info" }, "保存并提交信息");
  const el = h("form", { class: "card info-form", novalidate: true, "aria-label": "基础信息" });
  if (missing.length) {
    const staffOnly = missing.filter((x) => !editable.has(x.key));
    el.append(alertBox("warning", "请您先将基础信息中的必填信息补充完整",
      h("p", {}, "尚未填写:"),
      h("ul", { class: "missing-list" }, missing.map((x) => h("li", {},
        editable.has(x.key)
          ? h("a", { href: `#me-${x.key}`, onclick: (e) => { e.preventDefault(); form.focus(x.key); } }, x.label)
          : h("span", {}, x.label, "(请联系所属注协修改)")))),
      staffOnly.length ? h("p", {}, "标注“请联系所属注协修改”的信息由所属注协维护,您无法自行修改。") : null));
  } else {
    el.append(h("p", { class: "muted" }, "带 * 的为必填信息。灰色虚线框内的信息由所属注协维护。"));
  }
  el.append(msg, form.node, h("div", { class: "actions sticky-actions" }, save),
    h("button", { type: "button", class: "btn btn-block back-button", onclick: () => renderCert() }, "返回"));
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    setMessage(msg, null, "");
    if (!form.validate()) {
      setMessage(msg, "error", "填写的信息有误,请按提示修改");
      return;
    }
    const changes = form.changes();
    if (!Object.keys(changes).length && !missing.length) { renderCert(); return; }
    await busy(save, "正在保存…", async () => {
      try {
        await api.patch("/me", { version: me.member.version, changes });
        state.me = await api.get("/me");
        state.notice = alertBox("success", null, state.me.completeness && !state.me.completeness.complete
          ? "信息已保存,但仍有必填信息未填写" : "信息已保存");
        await renderCert();
      } catch (err) {
        if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
        if (err instanceof ApiError && err.code === "VALIDATION_FAILED") {
          const orphans = form.showServerErrors(err.body.errors || []);
          setMessage(msg, "error", orphans.length ? orphans.map((o) => o.message).join(";") : messageFor(err));
          return;
        }
        if (err instanceof ApiError && err.code === "VERSION_CONFLICT") {
          clear(msg, alertBox("error", "您的信息已在其他地方被修改",
            h("p", {}, "请刷新后重新填写。"),
            h("button", { type: "button", class: "btn", onclick: async () => { state.me = await api.get("/me"); showInfo(); } }, "刷新")));
          msg.hidden = false;
          return;
        }
        if (err instanceof ApiError && err.code === "FIELD_NOT_EDITABLE") {
          setMessage(msg, "error", `${messageFor(err)}(请联系所属注协修改)`);
          return;
        }
        setMessage(msg, "error", messageFor(err));
      }
    });
  });
  clear($("#info-slot"), el);
  showView("info");
  const first = missing.find((x) => editable.has(x.key));
  if (first) form.focus(first.key);
}

// ---------------------------------------------------------------------------------------------
// photo upload

function showUpload() {
  const photo = state.me.photo || {};
  const slot = $("#upload-slot");
  clear(slot);
  showView("upload");

  slot.append(h("section", { class: "card", id: "requirements-card" },
    h("h2", { class: "card-title" }, "照片要求"), requirementsList(),
    h("p", { class: "muted small" }, "您可以直接选择手机或电脑中的照片(JPEG、PNG 或 HEIC,不超过 8 MB),系统会自动裁剪并压缩为符合规格的候选照片供您确认;系统不会修改照片背景。")));

  if (photo.status === "review") {
    slot.append(alertBox("info", "已提交所属注协人工审核", h("p", {}, "您的照片正在由所属注协人工审核,审核通过后即可下载会员证。")),
      h("button", { type: "button", class: "btn btn-block", onclick: () => renderCert() }, "返回"));
    return;
  }

  const work = h("section", { class: "card", "aria-labelledby": "upload-step-title" });
  slot.append(work);
  const consented = Boolean(photo.consent);
  if (!consented) renderConsent(work);
  else renderChooser(work);
  slot.append(h("button", { type: "button", class: "btn btn-block", onclick: () => renderCert() }, "返回"));
}

function attemptsLine() {
  const left = state.me.photo && state.me.photo.attempts_left;
  if (left === undefined || left === null) return null;
  return h("p", { class: "attempts" }, "剩余人脸比对次数:", h("strong", {}, String(left)), " 次。",
    h("span", { class: "muted small" }, "多次比对未通过时,照片将提交所属注协人工审核。"));
}

async function renderConsent(work) {
  clear(work, h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), " 正在加载授权说明…"));
  let consent = { text_version: "", text: "" };
  try {
    consent = await api.get("/me/photo/consent");
  } catch (e) {
    if (e instanceof ApiError && e.code === "SESSION_EXPIRED") return;
    clear(work, alertBox("error", "授权说明加载失败", h("p", {}, messageFor(e))),
      h("button", { type: "button", class: "btn", onclick: () => renderConsent(work) }, "重试"));
    return;
  }
  const box = h("input", { type: "checkbox", id: "consent-check" });
  const err = h("p", { class: "field-error", id: "consent-err", hidden: true });
  const btn = h("button", { type: "button", class: "btn btn-primary btn-block", id: "consent-submit" }, "同意并继续");
  const paragraphs = String(consent.text || "").split(/\n+/).filter(Boolean);
  clear(work,
    h("h2", { class: "card-title", id: "upload-step-title" }, "人脸信息处理告知"),
    h("div", { class: "consent-text", id: "consent-text" }, paragraphs.map((t) => h("p", {}, t))),
    h("div", { class: "checkbox-row" }, box,
      h("label", { for: "consent-check" }, "我已阅读并同意上述人脸信息处理规则")),
    err, btn);
  box.setAttribute("aria-describedby", "consent-text consent-err");
  box.addEventListener("change", () => { err.hidden = true; });
  btn.addEventListener("click", async () => {
    if (!box.checked) { err.textContent = "请先勾选同意人脸信息处理规则"; err.hidden = false; box.focus(); return; }
    await busy(btn, "正在提交…", async () => {
      try {
        await api.post("/me/photo/consent", { text_version: consent.text_version });
        state.me.photo = { ...(state.me.photo || {}), consent: true };
        renderChooser(work);
      } catch (e) {
        if (e instanceof ApiError && e.code === "SESSION_EXPIRED") return;
        err.textContent = messageFor(e); err.hidden = false;
      }
    });
  });
}

function renderChooser(work, notice) {
  const input = h("input", { type: "file", id: "photo-file", accept: ACCEPT, class: "file-input" });
  const err = h("p", { class: "field-error", id: "photo-file-err", hidden: true, role: "alert" });
  input.setAttribute("aria-describedby", "photo-file-err");
  const out = h("div", { class: "prepare-result", "aria-live": "polite" });
  clear(work,
    h("h2", { class: "card-title", id: "upload-step-title" }, "选择照片"),
    notice || null,
    attemptsLine(),
    h("div", { class: "file-picker" },
      h("label", { for: "photo-file", class: "btn btn-secondary btn-block file-label" }, "选择照片(拍照或从相册 / 电脑中选择)"),
      input),
    err, out);
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (!file) return;
    err.hidden = true;
    if (file.size > MAX_SOURCE_BYTES) {
      err.textContent = "照片文件过大,请选择不超过 8 MB 的照片"; err.hidden = false; input.value = ""; return;
    }
    prepare(work, file, out, err);
  });
}

async function prepare(work, file, out, err) {
  const p = progress("正在自动处理照片(裁剪、压缩、检查规格)…");
  clear(out, p.node);
  try {
    const res = await api.request("POST", "/me/photo/prepare", { body: file, contentType: mimeOf(file) });
    renderCandidate(work, out, res);
  } catch (e) {
    clear(out);
    if (e instanceof ApiError && e.code === "SESSION_EXPIRED") return;
    const msg = e instanceof ApiError && e.status === 413 ? "照片文件过大,请选择不超过 8 MB 的照片" : messageFor(e);
    err.textContent = msg; err.hidden = false;
    const input = $("#photo-file"); if (input) { input.value = ""; input.focus(); }
  }
}

function renderCandidate(work, out, res) {
  const report = res.report || {};
  const checks = report.checks || [];
  const allOk = Boolean(res.image) && (checks.length ? checks.every((c) => c.ok) : report.status !== "rejected");
  const confirm = h("button", { type: "button", class: "btn btn-primary btn-block", id: "confirm-upload", disabled: !allOk }, "确认上传");
  clear(out,
    h("div", { class: "candidate" },
      res.image ? h("figure", { class: "photo-frame" },
        h("img", { src: res.image, alt: "自动处理后的候选照片", width: "178", height: "220", id: "candidate-img" }),
        h("figcaption", {}, "候选照片(178 × 220)"))
        : h("div", { class: "photo-empty" }, "未能生成候选照片"),
      h("div", { class: "candidate-report" },
        h("h3", {}, "规格检查结果"), checkReport(checks),
        allOk ? h("p", { class: "ok-text" }, "照片符合规格。确认上传后,系统将与您的全科合格电子照片进行人脸比对。")
          : alertBox("warning", "照片不符合要求", h("p", {}, "请按提示重新拍摄或选择照片后再上传。")))),
    h("div", { class: "actions" }, confirm,
      h("button", { type: "button", class: "btn btn-block", onclick: () => { const i = $("#photo-file"); i.value = ""; i.click(); } }, "重新选择照片")));
  confirm.addEventListener("click", () => upload(work, res.image));
  (allOk ? confirm : out.querySelector(".btn:not([disabled])")).focus();
}

async function upload(work, dataUrl) {
  const p = progress("正在上传照片…");
  clear(work, h("h2", { class: "card-title", id: "upload-step-title" }, "照片核验中"),
    h("div", { class: "upload-progress" }, p.node),
    h("p", { class: "muted small" }, "请勿关闭页面。核验包括照片规格检查和人脸比对,通常需要几秒钟。"));
  try {
    const presigned = await api.post("/me/photo/uploads", {});
    await postPresigned(presigned, dataUrlToBlob(dataUrl), "photo.jpg", (f) => p.set(f * 0.5, `正在上传照片…${Math.round(f * 100)}%`));
    p.set(0.5, "正在核验照片并进行人脸比对…");
    const result = await pollUpload(api, `/me/photo/uploads/${encodeURIComponent(presigned.upload_id)}`, {
      onTick: (s) => p.set(Math.min(0.95, 0.5 + s / 60), `正在核验照片并进行人脸比对…(已用时 ${Math.round(s)} 秒)`),
    });
    p.set(1, "核验完成");
    await showResult(work, result);
  } catch (e) {
    if (e instanceof ApiError && e.code === "SESSION_EXPIRED") return;
    if (e instanceof ApiError && e.code === "CONSENT_REQUIRED") { renderConsent(work); return; }
    renderChooser(work, alertBox("error", "上传失败", h("p", {}, messageFor(e))));
  }
}

async function showResult(work, result) {
  try { state.me = await api.get("/me"); } catch (e) { /* keep the old state; the result still shows */ }
  if (result.attempts_left !== undefined && state.me.photo) {
    // the fresher of the two (the member record is updated just after the upload's result)
    state.me.photo.attempts_left = Math.min(result.attempts_left, state.me.photo.attempts_left ?? result.attempts_left);
  }
  const req = $("#requirements-card");
  if (req) req.hidden = result.status !== "rejected";
  if (result.status === "accepted") {
    clear(work,
      alertBox("success", "比对成功", h("p", {}, "照片已通过规格检查和人脸比对,可以下载会员证了。")),
      h("button", { type: "button", class: "btn btn-primary btn-block", id: "after-success", onclick: () => renderCert() }, "去下载会员证"));
    $("#after-success").focus();
    return;
  }
  if (result.status === "review") {
    clear(work,
      alertBox("info", "已提交所属注协人工审核",
        h("p", {}, result.message || "您的照片多次比对未通过,已提交所属注协人工审核。审核通过后即可下载会员证,请耐心等待。")),
      checkReport(result.checks || []));
    return;
  }
  const failed = (result.checks || []).filter((c) => !c.ok);
  const left = state.me.photo ? state.me.photo.attempts_left : result.attempts_left;
  clear(work,
    alertBox("error", "比对失败",
      !failed.length && result.message ? h("p", {}, result.message) : null,
      failed.length ? h("p", {}, "未通过的项目及处理办法:") : null,
      failed.length ? checkReport(failed) : null,
      left !== undefined && left !== null ? h("p", {}, `您还可以上传 ${left} 次。`, left === 0 ? "照片已提交所属注协人工审核。" : "") : null),
    h("button", { type: "button", class: "btn btn-primary btn-block", id: "retry-upload", onclick: () => renderChooser(work) }, "重新选择照片"));
  $("#retry-upload").focus();
}

// ---------------------------------------------------------------------------------------------

$("#logout").addEventListener("click", logout);
if (api.token) {
  if (api.user && api.user.must_change_password) showChangePassword(true);
  else loadHome();
} else {
  showLogin();
}
