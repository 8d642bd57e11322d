/**
 * The session shell every signed-in page shares: login (with captcha), forgot password, change
 * password (forced after an initial password, or chosen), logout, and what happens when the
 * token expires. A page passes its own hooks; the views and their wording stay the same on
 * every page.
 *
 * hooks:
 *   userTypes          the login form's user types (["member", "staff"] or ["staff"])
 *   acceptLogin(login) false to refuse a login here (e.g. send staff on to /admin/)
 *   onSignedIn(notice) show the page's signed-in landing view, with an optional success notice
 *   onCancelChange()   back from a chosen (not forced) password change
 *   onSignedOut()      drop the page's own state (the token is already gone)
 *   onLogout()         after the user chose to log out (e.g. forget the current view)
 */
import { changePasswordForm, forgotForm, loginForm } from "./auth.js";
import { $, clear, setMessage, showView } from "./ui.js";
import { loadTexts, t } from "./texts.js";


function setSignedOutChrome() {
  $("#header-user").hidden = true;
  const nav = $("#side-nav");
  if (nav) nav.hidden = true;
  document.body.classList.remove("signed-in");
}

export function sessionShell(api, hooks) {
  const o = {
    userTypes: ["member"], acceptLogin: () => true, onCancelChange: () => {}, onSignedOut: () => {}, onLogout: () => {},
    ...hooks,
  };

  function showLogin(message, kind = "warning") {
    setSignedOutChrome();
    const form = loginForm(api, { userTypes: o.userTypes, onSuccess: loggedIn, onForgot: showForgot });
    clear($("#login-slot"), form.node);
    setMessage($("#login-message"), kind, message || "");
    showView("login");
  }

  function loggedIn(login) {
    if (!o.acceptLogin(login)) return;
    api.saveSession(login.token, login.user);
    if (login.user && login.user.must_change_password) showChangePassword(true);
    else o.onSignedIn();
  }

  function showForgot(userType) {
    const f = forgotForm(api, {
      userType: o.userTypes.length === 1 ? o.userTypes[0] : userType,
      onDone: (msg) => showLogin(msg, "success"),
      onCancel: () => showLogin(),
    });
    clear($("#forgot-slot"), f.node);
    showView("forgot");
    f.focus();
  }

  function showChangePassword(forced) {
    const nav = $("#side-nav");
    if (nav) nav.hidden = forced;
    const f = changePasswordForm(api, {
      forced,
      onDone: (res) => {
        if (res && res.token) api.saveSession(res.token, { ...(api.user || {}), ...(res.user || {}), must_change_password: false });
        o.onSignedIn(t("password_changed"));
      },
      onCancel: forced ? logout : () => o.onCancelChange(),
    });
    clear($("#change-slot"), f.node);
    showView("change");
    f.focus();
  }

  async function logout() {
    try { if (api.token) await api.post("/auth/logout"); } catch (e) { /* the token is dropped anyway */ }
    api.clearSession();
    o.onSignedOut();
    o.onLogout();
    showLogin(t("logged_out"), "info");
  }

  /** First view on page load (after the shared texts): the signed-in view, the forced password change, or the login. */
  async function boot() {
    await loadTexts(api);
    if (!api.token) showLogin();
    else if (api.user && api.user.must_change_password) showChangePassword(true);
    else o.onSignedIn();
  }

  api.onSessionExpired = () => {
    o.onSignedOut();
    showLogin(t("session_expired"));
  };
  const logoutButton = $("#logout");
  if (logoutButton) logoutButton.addEventListener("click", logout);
  return { showLogin, showChangePassword, logout, boot };
}
