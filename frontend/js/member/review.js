/**
 * A photo under staff review, shown the same way everywhere on the member page (home card,
 * upload page, upload result): the submitted photo, why it is under review (GET /me/photo/review,
 * in the member's words) and what happens next. No upload action: the review is pending.
 */
import { ApiError } from "../api.js";
import { photoSize } from "../photo.js";
import { alertBox, h } from "../ui.js";
import { api, state } from "./state.js";
import { t } from "../texts.js";

/** The review panel; fills itself in when the server answers. */
export function reviewPanel(fallbackMessage) {
  const figure = h("figure", { class: "photo-frame" },
    h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, "已提交的照片"));
  // the title already says it was submitted; the body says why and what happens next
  const body = String(fallbackMessage || "").replace(/^已提交所属注协人工审核[:。]?/, "");
  const text = h("div", { class: "review-text" },
    h("p", {}, body || t("review_waiting")));
  const panel = h("div", { class: "review-panel", id: "review-panel" },
    alertBox("info", t("review_title"), text), h("div", { class: "cert-photo" }, figure));
  fill(figure, text);
  return panel;
}

async function fill(figure, text) {
  try {
    const review = await api.get("/me/photo/review");
    if (review.in_review) {
      text.replaceChildren(
        review.reason_text ? h("p", {}, h("strong", {}, "原因:"), review.reason_text, "。") : null,
        h("p", {}, h("strong", {}, "接下来:"), review.next));
      const { blob } = await api.get("/me/photo/review/image", { accept: "image/jpeg" });
      figure.firstChild.replaceWith(h("img", { src: URL.createObjectURL(blob), alt: "已提交的照片", ...photoSize(state.meta.photo_spec) }));
      return;
    }
  } catch (err) {
    if (err instanceof ApiError && err.code === "SESSION_EXPIRED") return;
  }
  figure.firstChild.replaceWith(h("div", { class: "photo-empty" }, "暂无照片"));
}
