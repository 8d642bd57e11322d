/**
 * The photo review queue: both photos and the score side by side; accept or reject.
 */
import { messageFor } from "../api.js";
import { authImage, checkReport, scoreText } from "../photo.js";
import { $, alertBox, ask, clear, formatTime, h, progress, setMessage, showView } from "../ui.js";
import { api, isExpired, pageHead, state } from "./state.js";
import { t } from "../texts.js";

export async function showReviews() {
  const view = $('[data-view="reviews"]');
  const list = h("div", { class: "review-list", "aria-live": "polite" }, progress("正在加载待审核照片…").node);
  clear(view, ...pageHead("照片审核", h("button", { type: "button", class: "btn", onclick: showReviews }, "刷新")),
    h("p", { class: "muted" }, "系统无法自动确认的会员照片在此人工审核(多次人脸比对未通过、无全科合格照片或比对结果不确定,原因见每条记录):请对比两张照片是否为同一人并符合证件照要求。"), list);
  showView("reviews");
  let res;
  try {
    res = await api.get("/reviews");
  } catch (err) {
    if (!isExpired(err)) clear(list, alertBox("error", "加载失败", h("p", {}, messageFor(err))));
    return;
  }
  const items = res.items || [];
  if (!items.length) { clear(list, h("div", { class: "card empty" }, "暂无待审核的照片")); return; }
  clear(list);
  for (const r of items) list.append(reviewCard(r));
  appendMore(list, res.next_cursor);
}

/** The queue comes a page at a time: "加载更多" fetches the next page after the last card. */
function appendMore(list, cursor) {
  if (!cursor) return;
  const more = h("button", { type: "button", class: "btn btn-secondary" }, "加载更多");
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const res = await api.get(`/reviews?cursor=${encodeURIComponent(cursor)}`);
      more.remove();
      for (const r of res.items || []) list.append(reviewCard(r));
      appendMore(list, res.next_cursor);
    } catch (err) {
      more.disabled = false;
      if (!isExpired(err)) list.append(alertBox("error", "加载失败", h("p", {}, messageFor(err))));
    }
  });
  list.append(more);
}

export function reviewCard(r) {
  const id = r.review_id || r.upload_id || r.id;
  const refFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, "全科合格照片 / 上次照片"));
  const upFig = h("figure", { class: "photo-frame" }, h("div", { class: "photo-empty" }, h("span", { class: "spinner", "aria-hidden": "true" })), h("figcaption", {}, "会员上传照片"));
  if (r.has_reference === false) refFig.firstChild.replaceWith(h("div", { class: "photo-empty" }, "无全科合格照片"));
  else authImage(api, state.meta.photo_spec, `/members/${encodeURIComponent(r.member_no)}/photo`, "全科合格照片", { kind: "reference" }).then(({ img, ok }) => {
    refFig.firstChild.replaceWith(ok ? img : h("div", { class: "photo-empty" }, "无全科合格照片"));
  });
  authImage(api, state.meta.photo_spec, `/reviews/${encodeURIComponent(id)}/photo`, "会员上传照片").then(({ img, ok }) => {
    upFig.firstChild.replaceWith(ok ? img : h("div", { class: "photo-empty" }, t("photo_unavailable")));
  });
  const score = typeof r.score === "number" ? scoreText(r.score, r.engine) : "未能比对";
  const out = h("div", { "aria-live": "polite" });
  const accept = h("button", { type: "button", class: "btn btn-primary" }, "审核通过");
  const rejectBtn = h("button", { type: "button", class: "btn btn-danger" }, "驳回");
  const card = h("article", { class: "card review-card", "aria-label": `照片审核 ${r.name || r.member_no}` },
    h("div", { class: "review-head" }, h("h2", {}, r.name || "", h("span", { class: "mono num detail-no" }, r.member_no)),
      h("span", { class: "muted small" }, "提交时间:", formatTime(r.created_at))),
    h("div", { class: "review-body" }, refFig, upFig,
      h("div", { class: "review-facts" },
        h("p", { class: "score" }, h("strong", {}, score)),
        h("p", { class: "review-reason" }, h("strong", {}, "审核原因:"), r.reason_text || r.message || "人工审核"),
        // the comparison row is written for the member; its result is the reason and score above
        checkReport((r.checks || []).filter((c) => c.rule !== "face_match"), { showHelp: false }))),
    out, h("div", { class: "actions actions-end" }, accept, rejectBtn));
  accept.addEventListener("click", async () => {
    const ok = await ask("审核通过", { prompt: `确认两张照片为同一人,并将上传照片设为 ${r.name || r.member_no} 的会员证照片?`, confirmLabel: "确认通过" });
    if (ok) decide(id, true, "", card, out);
  });
  rejectBtn.addEventListener("click", async () => {
    const reason = await ask("驳回照片", { reasonLabel: "驳回原因(将告知会员)", confirmLabel: "确认驳回", danger: true });
    if (reason) decide(id, false, reason, card, out);
  });
  return card;
}

export async function decide(id, ok, reason, card, out) {
  try {
    await api.post(`/reviews/${encodeURIComponent(id)}/${ok ? "accept" : "reject"}`, ok ? {} : { reason });
    clear(card, alertBox("success", null, ok ? "已审核通过,照片已设为会员证照片" : "已驳回,会员可重新上传照片"));
  } catch (err) {
    if (!isExpired(err)) setMessage(out, "error", messageFor(err));
  }
}
