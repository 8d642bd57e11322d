/**
 * 修改密码: voluntary, or forced after a first login with the initial password (?forced=1), in
 * which case the only way out is the change or 退出. The API answers with a new session.
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const { withMeta, requireLogin } = require("../../utils/page.js");

Component({
  data: {
    t: {}, support: meta.support(), metaError: "",
    forced: false, oldPassword: "", password1: "", password2: "", errors: {}, message: "", busy: false,
  },
  methods: {
    onLoad(query) {
      if (!requireLogin()) return Promise.resolve();
      const u = api.user() || {};
      this.setData({ forced: Boolean((query && query.forced === "1") || u.must_change_password) });
      return withMeta(this).catch(() => {});
    },

    onInput(e) {
      const field = e.currentTarget.dataset.field;
      this.setData({ [field]: e.detail.value, ["errors." + field]: "" });
    },

    submit() {
      const d = this.data;
      const errors = {};
      if (!d.oldPassword) errors.oldPassword = meta.t("enter_password");
      if (d.password1.length < 8) errors.password1 = meta.t("password_too_short");
      else if (d.password1 === d.oldPassword) errors.password1 = meta.t("password_unchanged");
      if (d.password1 !== d.password2) errors.password2 = meta.t("password_mismatch");
      this.setData({ errors, message: "" });
      if (Object.keys(errors).length || d.busy) return Promise.resolve();
      this.setData({ busy: true });
      return api.post("/auth/password/change", { old_password: d.oldPassword, new_password: d.password1 }).then((res) => {
        if (res && res.token) api.saveSession(res);
        this.setData({ busy: false, oldPassword: "", password1: "", password2: "" });
        wx.showToast({ title: meta.t("password_changed"), icon: "success" });
        wx.reLaunch({ url: "/pages/home/home" });
      }, (err) => {
        if (api.isExpired(err)) return;
        if (err.code === "WRONG_PASSWORD") this.setData({ busy: false, "errors.oldPassword": err.message });
        else if (err.body.field === "new_password" || err.code === "PASSWORD_UNCHANGED") this.setData({ busy: false, "errors.password1": err.message });
        else this.setData({ busy: false, message: err.message });
      });
    },

    logout() {
      return api.logout().then(() => wx.reLaunch({ url: "/pages/login/login?reason=logout" }));
    },

    cancel() { wx.navigateBack({ fail: () => wx.reLaunch({ url: "/pages/home/home" }) }); },
  },
});
