/**
 * 忘记密码 in two steps: member number + captcha → a code goes to the e-mail on file (the API
 * never says whether the account exists); then the code and the new password.
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const { withMeta } = require("../../utils/page.js");

Component({
  data: {
    t: {}, support: meta.support(), metaError: "",
    step: 1, username: "", captchaCode: "", captchaId: "", captchaImage: "",
    code: "", password1: "", password2: "", errors: {}, message: "", messageKind: "error", busy: false,
  },
  methods: {
    onLoad() {
      return withMeta(this).catch(() => {}).then(() => this.refreshCaptcha());
    },

    onInput(e) {
      const field = e.currentTarget.dataset.field;
      this.setData({ [field]: e.detail.value, ["errors." + field]: "" });
    },

    refreshCaptcha() {
      return api.get("/auth/captcha", { auth: false }).then((c) => {
        this.setData({ captchaId: c.captcha_id, captchaImage: c.image, captchaCode: "" });
      }, () => this.setData({ "errors.captchaCode": meta.t("captcha_failed") }));
    },

    sendCode() {
      const errors = {};
      if (!this.data.username.trim()) errors.username = meta.t("enter_member_no");
      if (!this.data.captchaCode.trim()) errors.captchaCode = meta.t("enter_captcha");
      this.setData({ errors, message: "" });
      if (Object.keys(errors).length || this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      return api.post("/auth/password/forgot", {
        user_type: "member", username: this.data.username.trim(),
        captcha_id: this.data.captchaId, captcha_code: this.data.captchaCode.trim(),
      }, { auth: false }).then((res) => {
        this.setData({ busy: false, step: 2, messageKind: "info", message: res.message || meta.t("forgot_sent") });
      }, (err) => {
        if (err.code === "CAPTCHA_INVALID") this.setData({ busy: false, "errors.captchaCode": err.message });
        else this.setData({ busy: false, messageKind: "error", message: err.message });
        return this.refreshCaptcha();
      });
    },

    again() {
      this.setData({ step: 1, message: "", errors: {} });
      return this.refreshCaptcha();
    },

    reset() {
      const d = this.data;
      const errors = {};
      if (!d.code.trim()) errors.code = meta.t("enter_mail_code");
      if (d.password1.length < 8) errors.password1 = meta.t("password_too_short");
      if (d.password1 !== d.password2) errors.password2 = meta.t("password_mismatch");
      this.setData({ errors, message: "" });
      if (Object.keys(errors).length || d.busy) return Promise.resolve();
      this.setData({ busy: true });
      return api.post("/auth/password/reset", {
        user_type: "member", username: d.username.trim(), code: d.code.trim(), new_password: d.password1,
      }, { auth: false }).then(() => {
        this.setData({ busy: false });
        wx.reLaunch({ url: "/pages/login/login?reason=reset" });
      }, (err) => {
        if (err.code === "RESET_CODE_INVALID") this.setData({ busy: false, "errors.code": err.message });
        else if (err.body.field === "new_password") this.setData({ busy: false, "errors.password1": err.message });
        else this.setData({ busy: false, messageKind: "error", message: err.message });
      });
    },

    toLogin() { wx.reLaunch({ url: "/pages/login/login" }); },
  },
});
