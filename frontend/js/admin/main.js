/**
 * The staff admin page (/admin/): the session shell and a small hash-route table in front of the
 * view modules (list, detail, editing, photo dialog, applications, photo reviews, import/export).
 * Desktop first; hash routes (#/members, #/members/<no>, …).
 */
import { loadMeta, messageFor } from "../api.js";
import { sessionShell } from "../session.js";
import { $, $$, alertBox, clear, h, setMessage, showView } from "../ui.js";
import { showApplications } from "./applications.js";
import { showData } from "./data.js";
import { showDetail } from "./detail.js";
import { showCreate } from "./edit.js";
import { showMembers } from "./list.js";
import { showReviews } from "./reviews.js";
import { api, state } from "./state.js";

const shell = sessionShell(api, {
  userTypes: ["staff"],
  acceptLogin: ({ user }) => {
    if (user && user.role === "member") {
      setMessage($("#login-message"), "error", "会员请使用会员登录页面");
      return false;
    }
    return true;
  },
  onSignedIn: (notice) => start(notice),
  onCancelChange: () => route(),
  onLogout: () => { window.location.hash = ""; },
});

async function start(message) {
  state.flash = message ? alertBox("success", null, message) : null;
  const u = api.user || {};
  $("#header-name").textContent = `${u.display_name || u.username || ""}${u.association_name ? " · " + u.association_name : ""}`;
  $("#header-user").hidden = false;
  $("#side-nav").hidden = false;
  document.body.classList.add("signed-in");
  try {
    state.meta = await loadMeta(api);
  } catch (e) {
    clear($('[data-view="members"]'), alertBox("error", "加载失败", h("p", {}, messageFor(e))));
    showView("members");
    return;
  }
  if (!window.location.hash || window.location.hash === "#") window.location.hash = "#/members";
  else route();
}

/** Hash routes: #/members (landing), #/members/new, #/members/<no>, #/applications, … */
const ROUTES = {
  members: (arg) => (arg === "new" ? showCreate() : arg ? showDetail(decodeURIComponent(arg)) : showMembers()),
  applications: () => showApplications(),
  reviews: () => showReviews(),
  data: () => showData(),
  password: () => shell.showChangePassword(false),
};

function route() {
  if (!api.token) { shell.showLogin(); return; }
  if (!state.meta) { start(); return; }
  const [section, arg] = window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  for (const a of $$("[data-nav]")) {
    const on = a.dataset.nav === (section || "members");
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  (ROUTES[section] || ROUTES.members)(section in ROUTES ? arg : undefined);
}

$("#change-password").addEventListener("click", () => shell.showChangePassword(false));
window.addEventListener("hashchange", () => { if (api.token) route(); });
shell.boot();
