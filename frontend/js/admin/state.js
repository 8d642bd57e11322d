/**
 * What every view of the staff admin page shares: the API client, the page state (the loaded
 * /meta, the list's filters and paging, the member on screen) and a few helpers.
 */
import { Api, ApiError } from "../api.js";
import { $, clear, h } from "../ui.js";

export const api = new Api("staff");
export const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
export const PAGE_SIZES = [20, 50, 100];
export const SAMPLE_PHOTO = "/img/sample-photo.svg";

export const state = {
  meta: null,
  list: { filters: { q: "", photo_status: "", complete: "", status: "" }, limit: 50, cursors: [null], page: 0, selected: new Set() },
  detail: null, // {no, record, version, missing}
  flash: null, // a success notice shown at the top of the next view
};

export function pageHead(title, ...extra) {
  const head = h("div", { class: "page-head" }, h("h1", {}, title), h("div", { class: "page-head-extra" }, ...extra));
  const box = h("div", {});
  if (state.flash) { box.append(state.flash); state.flash = null; }
  return [head, box];
}

export function isExpired(err) { return err instanceof ApiError && err.code === "SESSION_EXPIRED"; }

export function assocName(code) {
  const a = state.meta && state.meta.associations.find((x) => x.code === code);
  return a ? a.name : code || "";
}

/** A message at the top of the current view (replaces the previous one). */
export function toast(node) {
  let slot = $("#toast");
  if (!slot) {
    slot = h("div", { id: "toast", class: "toast", "aria-live": "polite" });
    document.body.append(slot);
  }
  const close = h("button", { type: "button", class: "dialog-close", "aria-label": "关闭提示", onclick: () => clear(slot) }, "×");
  clear(slot, h("div", { class: "toast-inner" }, node, close));
}
