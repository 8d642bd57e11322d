/**
 * Photo upload helpers shared by the member page and the staff dialog: the spec in plain
 * Chinese (its numbers from GET /meta's photo_spec), the presigned POST to S3 with upload
 * progress, polling the check result, and the check report.
 */
import { ApiError } from "./api.js";
import { h, sleep } from "./ui.js";
import { t } from "./texts.js";

export const ACCEPT = "image/jpeg,image/png,image/heic,image/heif,.jpg,.jpeg,.png,.heic,.heif";

/** "10–20 KB" from a spec's byte limits. */
export function sizeRange(spec) { return `${Math.round(spec.min_bytes / 1024)}–${Math.round(spec.max_bytes / 1024)} KB`; }

/** The refusal of a source photo over the limit (the shared text carries the same photo_spec figure). */
export function tooLargeMessage() { return t("source_too_large"); }

/** width and height attributes of a certificate photo. */
export function photoSize(spec) { return { width: String(spec.width), height: String(spec.height) }; }

/** The photo requirements, in the shared words (their figures are the same spec as /meta's photo_spec). */
export function requirements() {
  return [
    t("photo_requirements.0"),
    t("photo_requirements.1"),
    t("photo_requirements.2"),
    t("photo_requirements.3"),
  ];
}

/** The one-line summary shown in the staff photo dialog. */
export function requirementsLine(spec) {
  return `照片要求:白色背景一寸免冠正面证件照,JPEG,${sizeRange(spec)},${spec.width} × ${spec.height} 像素,不低于 ${spec.min_dpi} dpi。`;
}

/** What to do when a rule fails (shown under the server's own message). */
export function ruleHelp(rule) { return t("photo_rule_help." + rule); }

/** Best-effort MIME type: phones often give HEIC files an empty type. */
export function mimeOf(file) {
  if (file.type) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", heic: "image/heic", heif: "image/heif" }[ext]
    || "application/octet-stream";
}

/** A compliant example with the spec's figures on it (from GET /meta's photo_spec). */
export function examplePhoto(spec, src = "/img/sample-photo.svg") {
  return h("figure", { class: "example-photo", id: "example-photo" },
    h("div", { class: "example-frame" },
      h("span", { class: "example-dim example-w" }, t("example_width", { width: spec.width })),
      h("div", { class: "example-body" },
        h("img", { src, alt: "合格证件照示例:白色背景,头肩部正面,人脸居中", ...photoSize(spec) }),
        h("span", { class: "example-dim example-h" }, t("example_height", { height: spec.height })))),
    h("figcaption", {}, h("strong", {}, t("example_caption")),
      h("span", {}, t("example_spec", { size: sizeRange(spec), dpi: spec.min_dpi }))));
}

export function requirementsList(spec) {
  return h("ul", { class: "requirements" }, requirements().map((line) => h("li", {}, line)));
}

/** Staff wording for a failed rule: they handle someone else's file, so no "上传本人照片". */
const STAFF_WORDING = {
  exactly_one_face: "请换用只有会员本人的正面免冠照片。",
  face_match: "请核实会员身份;确认为本人时,须填写核实情况作为确认理由。",
};
export function staffRuleHelp(rule) { return STAFF_WORDING[rule] || ruleHelp(rule); }

/**
 * The report: one row per rule. A rule that could not run (state "not_checked") is shown as
 * not checked, without advice, so the one real problem stands out; failures get what to do.
 */
export function checkReport(checks, { showHelp = true, help = ruleHelp } = {}) {
  const list = h("ul", { class: "checks" });
  for (const c of checks || []) {
    const state = c.state || (c.ok ? "passed" : "failed");
    if (state === "not_checked") {
      list.append(h("li", { class: "check skipped" },
        h("span", { class: "check-icon", "aria-hidden": "true" }, "–"),
        h("span", { class: "sr-only" }, "未检查:"),
        h("span", { class: "check-text" }, `${RULE_LABELS[c.rule] || c.rule}:未检查`)));
      continue;
    }
    list.append(h("li", { class: c.ok ? "check ok" : "check bad" },
      h("span", { class: "check-icon", "aria-hidden": "true" }, c.ok ? "✓" : "✗"),
      h("span", { class: "sr-only" }, c.ok ? "通过:" : "未通过:"),
      h("span", { class: "check-text" }, c.message,
        !c.ok && showHelp && help(c.rule) ? h("span", { class: "check-help" }, help(c.rule)) : null)));
  }
  return list;
}

/** What each rule checks, for the rows that could not be checked. */
export const RULE_LABELS = {
  format: "文件格式", size_bytes: "文件大小", dimensions: "像素尺寸", dpi: "分辨率", background: "白色背景",
  exactly_one_face: "人脸数量", face_size_and_position: "头肩构图", sharpness: "清晰度", face_match: "人脸比对",
};

/** The one thing that is wrong first: the first rule that ran and failed. */
export function firstProblem(checks) {
  return (checks || []).find((c) => (c.state || (c.ok ? "passed" : "failed")) === "failed") || null;
}

/**
 * Send the presigned POST (fields first, file last, as S3 requires). XHR instead of fetch for
 * upload progress. Resolves on 2xx; rejects with an ApiError otherwise (`messages`: {tooBig,
 * failed, network} for a file that is not a photo).
 */
export function postPresigned(presigned, blob, filename, onProgress, messages = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(presigned.fields || {})) form.append(k, v);
    form.append("file", blob, filename || "photo.jpg");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", presigned.url);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else {
        const tooBig = /EntityTooLarge|EntityTooSmall/.test(xhr.responseText || "");
        reject(new ApiError(xhr.status, { code: "UPLOAD_FAILED",
          message: tooBig ? (messages.tooBig || t("upload_size")) : (messages.failed || t("upload_failed")) }));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, { code: "NETWORK_ERROR",
      message: messages.network || "照片上传失败,请检查网络后重试" }));
    xhr.send(form);
  });
}

/**
 * Poll an upload until it leaves "pending". onTick(elapsedSeconds) for the progress label.
 * Gives up after timeoutMs with a clear message (the result still arrives later).
 */
export async function pollUpload(api, path, { onTick, timeoutMs = 120000, intervalMs = 1000 } = {}) {
  const start = Date.now();
  for (;;) {
    const res = await api.get(path);
    if (res.status && res.status !== "pending") return res;
    if (Date.now() - start > timeoutMs) {
      throw new ApiError(0, { code: "CHECK_TIMEOUT", message: t("check_timeout") });
    }
    if (onTick) onTick((Date.now() - start) / 1000);
    await sleep(intervalMs);
  }
}

/** An <img> for an authenticated image route; resolves to {img, ok, error}. */
export async function authImage(api, spec, path, alt, query) {
  try {
    const { blob } = await api.get(path, { accept: "image/jpeg", query });
    const img = h("img", { src: URL.createObjectURL(blob), alt, class: "photo", ...photoSize(spec) });
    return { img, ok: true };
  } catch (error) {
    return { img: null, ok: false, error };
  }
}

/** The face comparison figure in words: dlib gives a distance, Rekognition a similarity. */
export function scoreText(score, engine) {
  if (typeof score !== "number") return "";
  if (engine === "rekognition") return `人脸相似度 ${score.toFixed(1)}%(越大越相似)`;
  return `人脸特征距离 ${score.toFixed(3)}(越小越相似)`;
}
