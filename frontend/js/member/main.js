/**
 * The member page (/): the session shell (members log in here; staff are sent on to /admin/),
 * then the certificate card. Mobile first; it stands in for the mini-program.
 */
import { Api } from "../api.js";
import { sessionShell } from "../session.js";
import { $, alertBox } from "../ui.js";
import { t } from "../texts.js";
import { loadHome, renderCert } from "./home.js";
import { api, session, state } from "./state.js";

const staffApi = new Api("staff");

const shell = sessionShell(api, {
  userTypes: ["member", "staff"],
  acceptLogin: ({ token, user, userType }) => {
    if (userType === "staff" || (user && user.role && user.role !== "member")) {
      staffApi.saveSession(token, user);
      window.location.assign("/admin/");
      return false;
    }
    return true;
  },
  onSignedIn: (notice) => {
    if (notice) state.notice = alertBox("success", null, notice);
    loadHome();
  },
  onCancelChange: () => renderCert(),
  onSignedOut: () => { state.me = null; },
});
Object.assign(session, shell);
shell.boot().then(() => { $("#member-no-hint").textContent = t("member_no_hint"); });
