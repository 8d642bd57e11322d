/**
 * 登录: user type (非执业会员), member number, password, captcha (tap the image for a new one),
 * 忘记密码 and 会员编号查询. A first login with the initial password goes to the password change.
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const { withMeta } = require("../../utils/page.js");

const NOTICES = { expired: ["warning", "session_expired"], logout: ["info", "logged_out"], reset: ["success", "password_reset_done"] };

Component({
  data: {
    t: {}, support: meta.support(), metaError: "",
    username: "", password: "", captchaCode: "", captchaId: "", captchaImage: "",
    errors: {}, message: "", messageKind: "error", busy: false,
  },
  methods: {
    onLoad(query) {
      const notice = NOTICES[(query && query.reason) || ""];
      if (!notice && api.signedIn()) {
        // opened again with a live session (e.g. from the WeChat menu): straight to 首页
        wx.reLaunch({ url: "/pages/home/home" });
        return Promise.resolve();
      }
      return withMeta(this).catch(() => {}).then(() => {
        if (notice) this.setData({ messageKind: notice[0], message: meta.t(notice[1]) });
        return this.refreshCaptcha();
      });
    },

    onInput(e) {
      const field = e.currentTarget.dataset.field;
      this.setData({ [field]: e.detail.value, ["errors." + field]: "" });
    },

    refreshCaptcha() {
      return api.get("/auth/captcha", { auth: false }).then((c) => {
        const update = { captchaId: c.captcha_id, captchaImage: c.image, captchaCode: "" };
        // a "could not load" note goes with the new image; the API's verdict on the last code stays
        if (this.data.errors.captchaCode === meta.t("captcha_failed")) update["errors.captchaCode"] = "";
        this.setData(update);
      }, () => {
        this.setData({ captchaImage: "", "errors.captchaCode": meta.t("captcha_failed") });
      });
    },

    validate() {
      const errors = {};
      if (!this.data.username.trim()) errors.username = meta.t("enter_member_no");
      if (!this.data.password) errors.password = meta.t("enter_password");
      if (!this.data.captchaCode.trim()) errors.captchaCode = meta.t("enter_captcha");
      this.setData({ errors });
      return !Object.keys(errors).length;
    },

    submit() {
      if (this.data.busy) return Promise.resolve();
      this.setData({ message: "" });
      if (!this.validate()) return Promise.resolve();
      this.setData({ busy: true });
      return api.post("/auth/login", {
        user_type: "member",
        username: this.data.username.trim(),
        password: this.data.password,
        captcha_id: this.data.captchaId,
        captcha_code: this.data.captchaCode.trim(),
      }, { auth: false }).then((res) => {
        api.saveSession(res);
        this.setData({ busy: false, password: "" });
        if (res.user && res.user.must_change_password) wx.redirectTo({ url: "/pages/password/password?forced=1" });
        else wx.reLaunch({ url: "/pages/home/home" });
      }, (err) => {
        // the API's message as given: next to the captcha for a captcha error, on top otherwise
        if (err.code === "CAPTCHA_INVALID") this.setData({ busy: false, "errors.captchaCode": err.message });
        else this.setData({ busy: false, messageKind: "error", message: err.message });
        return this.refreshCaptcha();
      });
    },

    toForgot() { wx.navigateTo({ url: "/pages/forgot/forgot" }); },
    toLookup() { wx.navigateTo({ url: "/pages/lookup/lookup" }); },
  },
});
