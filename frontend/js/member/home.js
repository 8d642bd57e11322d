/**
 * The member's home: the certificate card (status, photo, completeness) and the download.
 */
import { ApiError, loadMeta, messageFor } from "../api.js";
import { photoSize } from "../photo.js";
import { $, alertBox, busy, clear, h, progress, saveBlob, showView, statusLabels } from "../ui.js";
import { showInfo } from "./info.js";
import { reviewPanel } from "./review.js";
import { api, session, state } from "./state.js";
import { showUpload } from "./upload.js";
import { t } from "../texts.js";

export async function loadHome() {
  showView("loading");
  try {
    const [me, meta] = await Promise.all([api.get("/me"), loadMeta(api)]);
    state.me = me;
    state.meta = meta;
  } catch (err) {
    if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
    if (err instanceof ApiError && err.code === "PASSWORD_CHANGE_REQUIRED") { session.showChangePassword(true); return; }
    clear($("#cert-slot"), alertBox("error", "加载失败", messageFor(err)),
      h("button", { type: "button", class: "btn", onclick: loadHome }, "重试"));
    showView("cert");
    return;
  }
  const m = state.me.member;
  $("#header-name").textContent = m.name ? `${m.name}(${m.member_no || ""})` : (api.user && api.user.username) || "";
  $("#header-user").hidden = false;
  await renderCert();
}

/** Whether an accepted certificate photo is on file, from GET /me's `photo`. */
export function hasPhoto(photo) {
  return photo.has_photo && photo.status === "accepted";
}

export function photoLine(status) {
  return {
    pending: t("photo_status_lines.pending"),
    review: t("photo_status_lines.review"),
    rejected: t("photo_status_lines.rejected"),
  }[status];
}

export async function renderCert() {
  const me = state.me;
  const m = me.member;
  const photo = me.photo;
  const complete = !me.completeness || me.completeness.complete;
  const slot = $("#cert-slot");
  clear(slot);
  if (state.notice) { slot.append(state.notice); state.notice = null; }
  showView("cert");

  const status = me.status || m.status || "active";
  if (status !== "active") {
    slot.append(notActiveCard(me, status));
    return;
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
      photo.status === "review" ? null
        : h("button", { type: "button", class: "btn", onclick: () => showUpload() }, hasPhoto(photo) ? "重新上传照片" : "上传照片"),
      h("button", { type: "button", class: "btn", onclick: () => session.showChangePassword(false) }, "修改密码"))));

  let photoOk = false;
  if (hasPhoto(photo)) {
    try {
      const { blob } = await api.get("/me/photo", { accept: "image/jpeg" });
      if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
      state.photoUrl = URL.createObjectURL(blob);
      clear(photoBox, h("figure", { class: "photo-frame" },
        h("img", { src: state.photoUrl, alt: "会员证照片", ...photoSize(state.meta.photo_spec) }),
        h("figcaption", {}, "会员证照片")));
      photoOk = true;
    } catch (err) {
      const unavailable = err instanceof ApiError && (err.code === "PHOTO_UNAVAILABLE" || err.status === 503);
      if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
      showNoPhoto(photoBox, photoMsg, actions, unavailable ? t("photo_unavailable") : t("photo_missing"), photo, unavailable);
      return;
    }
  } else {
    showNoPhoto(photoBox, photoMsg, actions, t("photo_missing"), photo, false);
    return;
  }

  if (photoOk) {
    const line = photo.status && photo.status !== "accepted" ? photoLine(photo.status) : "";
    if (line) photoMsg.append(alertBox("info", null, line));
    photoMsg.append(h("p", { class: "muted small" }, t("confirm_hint")));
    const btn = h("button", { type: "button", class: "btn btn-primary btn-block", id: "download-cert" }, t("confirm_and_download"));
    if (!complete || status !== "active") btn.setAttribute("aria-describedby", "cert-card-title");
    btn.addEventListener("click", () => {
      if (!complete) {
        // refused before asking the server, with the same words the server would use
        clear(result, alertBox("warning", t("info_incomplete")));
        const go = $("#go-complete");
        if (go) { go.scrollIntoView({ block: "center" }); go.focus(); }
        return;
      }
      downloadCertificate(btn, result);
    });
    actions.append(btn);
  }
}

/**
 * The status screen of a suspended or cancelled member: the status, what it means and whom to
 * contact, and nothing that leads to a photo upload or a certificate (the API refuses both).
 */
export function notActiveCard(me, status) {
  const m = me.member;
  const standing = me.standing || {};
  const label = standing.status_label || statusLabels(state.meta, "member")[status] || status;
  const contact = standing.contact || m.association_name || assocName(m.association);
  return h("div", {},
    h("section", { class: "card", id: "not-active", "aria-labelledby": "not-active-title" },
      alertBox("warning", null,
        h("p", { class: "alert-title", id: "not-active-title" }, t("status_title", { status: label })),
        standing.meaning ? h("p", {}, `${standing.meaning}。`) : null,
        me.status_reason ? h("p", {}, `原因:${me.status_reason}`) : null,
        h("p", {}, t("not_active")),
        h("p", {}, t("status_contact", { contact }))),
      h("dl", { class: "kv" },
        [["姓名", m.name], ["会员证书编号", m.member_no], ["所属协会", m.association_name || assocName(m.association)]]
          .map(([k, v]) => h("div", { class: "kv-row" }, h("dt", {}, k), h("dd", {}, v || "—"))))),
    h("div", { class: "card more-card" },
      h("h2", {}, "其他服务"),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn", onclick: () => showInfo() }, "查看基础信息"),
        h("button", { type: "button", class: "btn", onclick: () => session.showChangePassword(false) }, "修改密码"))));
}

export function showNoPhoto(photoBox, photoMsg, actions, headline, photo, unavailable) {
  clear(photoBox, h("div", { class: "photo-empty" }, "暂无照片"));
  // the message and the way forward come first, above the member's details
  const body = photoBox.closest(".cert-body");
  body.before(photoMsg, actions);
  if (photo.status === "review" && !unavailable) {
    photoMsg.append(reviewPanel(photoLine("review")));
    return;
  }
  const extra = photoLine(photo.status);
  photoMsg.append(alertBox(unavailable ? "error" : "warning", headline,
    extra ? h("p", {}, extra) : null,
    unavailable ? h("p", {}, "照片服务暂时不可用,请稍后重试;也可以重新上传照片。")
      : h("p", {}, t("upload_before_download"))));
  if (photo.status !== "review") {
    actions.append(h("button", { type: "button", class: "btn btn-primary btn-block", id: "go-upload", onclick: () => showUpload() }, "上传照片"));
  }
  if (unavailable || photo.status === "pending") {
    actions.append(h("button", { type: "button", class: "btn btn-block", onclick: loadHome }, "重试"));
  }
}

export function incompleteCard(missing) {
  return h("section", { class: "card incomplete-card", "aria-labelledby": "incomplete-title" },
    alertBox("warning", null,
      h("p", { class: "alert-title", id: "incomplete-title" }, t("info_incomplete")),
      missing.length ? h("p", {}, t("missing_prefix"), missing.map((x) => x.label).join("、")) : null),
    h("button", { type: "button", class: "btn btn-primary btn-block", id: "go-complete", onclick: () => showInfo(missing) }, "补充基础信息"));
}

export function assocName(code) {
  const a = state.meta && state.meta.associations.find((x) => x.code === code);
  return a ? a.name : code;
}

export async function downloadCertificate(btn, result) {
  clear(result);
  const p = progress(t("generating"));
  result.append(p.node);
  try {
    const file = await busy(btn, "正在生成会员证…", () =>
      api.get("/me/certificate", { accept: "application/pdf", filename: `会员证_${state.me.member.member_no}.pdf` }));
    const link = saveBlob(file.blob, file.filename);
    clear(result, alertBox("success", t("downloaded"), h("p", {}, `文件名:${file.filename}`), link));
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
