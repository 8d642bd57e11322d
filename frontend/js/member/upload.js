/**
 * The photo upload: consent, choosing a photo, the automatic fitting, the upload with its check
 * and comparison, and the result.
 */
import { ApiError, messageFor } from "../api.js";
import {
  ACCEPT, checkReport, examplePhoto, mimeOf, photoSize, pollUpload, postPresigned, requirementsList, tooLargeMessage,
} from "../photo.js";
import { $, alertBox, busy, clear, dataUrlToBlob, h, progress, showView } from "../ui.js";
import { withSupport } from "../support.js";
import { renderCert } from "./home.js";
import { reviewPanel } from "./review.js";
import { api, state } from "./state.js";
import { t } from "../texts.js";

export function showUpload() {
  const photo = state.me.photo;
  const slot = $("#upload-slot");
  clear(slot);
  showView("upload");

  slot.append(h("section", { class: "card", id: "requirements-card" },
    h("h2", { class: "card-title" }, "照片要求"),
    h("div", { class: "requirements-with-example" }, requirementsList(state.meta.photo_spec), examplePhoto(state.meta.photo_spec)),
    h("p", { class: "muted small" }, t("photo_auto_fit"))));

  if (photo.status === "review") {
    slot.append(h("section", { class: "card" }, reviewPanel()),
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

export function attemptsLine() {
  const left = state.me.photo && state.me.photo.attempts_left;
  if (left === undefined || left === null) return null;
  return h("p", { class: "attempts" }, t("attempts_prefix"), h("strong", {}, String(left)), " 次。",
    h("span", { class: "muted small" }, t("attempts_hint")));
}

export async function renderConsent(work) {
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
  const btn = h("button", { type: "button", class: "btn btn-primary btn-block", id: "consent-submit" }, t("consent_continue"));
  const paragraphs = String(consent.text || "").split(/\n+/).filter(Boolean);
  clear(work,
    h("h2", { class: "card-title", id: "upload-step-title" }, t("consent_title")),
    h("div", { class: "consent-text", id: "consent-text" }, paragraphs.map((t) => h("p", {}, t))),
    h("div", { class: "checkbox-row" }, box,
      h("label", { for: "consent-check" }, t("consent_agree"))),
    err, btn);
  box.setAttribute("aria-describedby", "consent-text consent-err");
  box.addEventListener("change", () => { err.hidden = true; });
  btn.addEventListener("click", async () => {
    if (!box.checked) { err.textContent = t("consent_required"); err.hidden = false; box.focus(); return; }
    await busy(btn, "正在提交…", async () => {
      try {
        await api.post("/me/photo/consent", { text_version: consent.text_version });
        state.me.photo = { ...state.me.photo, consent: true };
        renderChooser(work);
      } catch (e) {
        if (e instanceof ApiError && e.code === "SESSION_EXPIRED") return;
        err.textContent = withSupport(messageFor(e)); err.hidden = false;
      }
    });
  });
}

export function renderChooser(work, notice) {
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
    if (file.size > state.meta.photo_spec.source_max_bytes) {
      err.textContent = tooLargeMessage(state.meta.photo_spec); err.hidden = false; input.value = ""; return;
    }
    prepare(work, file, out, err);
  });
}

export async function prepare(work, file, out, err) {
  const p = progress(t("preparing"));
  clear(out, p.node);
  try {
    const res = await api.request("POST", "/me/photo/prepare", { body: file, contentType: mimeOf(file) });
    renderCandidate(work, out, res);
  } catch (e) {
    clear(out);
    if (e instanceof ApiError && e.code === "SESSION_EXPIRED") return;
    const msg = e instanceof ApiError && e.status === 413 ? tooLargeMessage(state.meta.photo_spec) : messageFor(e);
    err.textContent = withSupport(msg); err.hidden = false;
    const input = $("#photo-file"); if (input) { input.value = ""; input.focus(); }
  }
}

export function renderCandidate(work, out, res) {
  const report = res.report || {};
  const checks = report.checks || [];
  const allOk = Boolean(res.image) && (checks.length ? checks.every((c) => c.ok) : report.status !== "rejected");
  const confirm = h("button", { type: "button", class: "btn btn-primary btn-block", id: "confirm-upload", disabled: !allOk }, t("confirm_upload"));
  clear(out,
    h("div", { class: "candidate" },
      res.image ? h("figure", { class: "photo-frame" },
        h("img", { src: res.image, alt: "自动处理后的候选照片", ...photoSize(state.meta.photo_spec), id: "candidate-img" }),
        h("figcaption", {}, `候选照片(${state.meta.photo_spec.width} × ${state.meta.photo_spec.height})`))
        : h("div", { class: "photo-empty" }, "未能生成候选照片"),
      h("div", { class: "candidate-report" },
        // no candidate: the one thing that is wrong first, the rules it kept from running after it
        !res.image ? alertBox("error", report.message || "未能生成候选照片") : null,
        h("h3", {}, "规格检查结果"), checkReport(checks),
        !res.image ? null : allOk ? h("p", { class: "ok-text" }, t("spec_ok"))
          : alertBox("warning", t("spec_failed_title"), h("p", {}, t("spec_failed"))))),
    h("div", { class: "actions" }, confirm,
      h("button", { type: "button", class: "btn btn-block", onclick: () => { const i = $("#photo-file"); i.value = ""; i.click(); } }, t("choose_again"))));
  confirm.addEventListener("click", () => upload(work, res.image));
  (allOk ? confirm : out.querySelector(".btn:not([disabled])")).focus();
}

export async function upload(work, dataUrl) {
  const p = progress("正在上传照片…");
  clear(work, h("h2", { class: "card-title", id: "upload-step-title" }, "照片核验中"),
    h("div", { class: "upload-progress" }, p.node),
    h("p", { class: "muted small" }, t("checking_note")));
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

export async function showResult(work, result) {
  try { state.me = await api.get("/me"); } catch (e) { /* keep the old state; the result still shows */ }
  if (result.attempts_left !== undefined && state.me.photo) {
    // the fresher of the two (the member record is updated just after the upload's result)
    state.me.photo.attempts_left = Math.min(result.attempts_left, state.me.photo.attempts_left ?? result.attempts_left);
  }
  const req = $("#requirements-card");
  if (req) req.hidden = result.status !== "rejected";
  if (result.status === "accepted") {
    clear(work,
      alertBox("success", t("match_success"), h("p", {}, t("match_success_detail"))),
      h("button", { type: "button", class: "btn btn-primary btn-block", id: "after-success", onclick: () => renderCert() }, t("go_download")));
    $("#after-success").focus();
    return;
  }
  if (result.status === "review") {
    // one state, one message: the review panel, without the rejected-photo advice of the checks
    clear(work, reviewPanel(result.message || t("review_detail")));
    return;
  }
  const failed = (result.checks || []).filter((c) => !c.ok);
  const left = state.me.photo ? state.me.photo.attempts_left : result.attempts_left;
  clear(work,
    alertBox("error", t("match_failed"),
      !failed.length && result.message ? h("p", {}, result.message) : null,
      failed.length ? h("p", {}, t("failed_items")) : null,
      failed.length ? checkReport(failed) : null,
      left !== undefined && left !== null ? h("p", {}, t("attempts_left", { n: left }), left === 0 ? t("sent_to_review") : "") : null),
    h("button", { type: "button", class: "btn btn-primary btn-block", id: "retry-upload", onclick: () => renderChooser(work) }, t("choose_again")));
  $("#retry-upload").focus();
}
