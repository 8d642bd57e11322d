/**
 * 首页 / 会员电子证书: membership, photo and information status at a glance and the one action
 * that comes next (完善信息 → 上传照片 → 下载会员证). Members who are not active see their
 * status and whom to contact, and no photo or certificate action.
 */
const api = require("../../utils/api.js");
const meta = require("../../utils/meta.js");
const { withMeta, requireLogin } = require("../../utils/page.js");

/** What the member should do next, from GET /me. */
function nextStep(me) {
  const photo = me.photo || {};
  const active = (me.status || "active") === "active";
  if (!active) return "not_active";
  if (me.completeness && !me.completeness.complete) return "complete_info";
  if (!photo.has_photo) {
    if (photo.status === "review") return "wait_review";
    if (photo.status === "pending") return "wait_check";
    return "upload_photo";
  }
  return "download";
}

function view(me) {
  const m = me.member || {};
  const photo = me.photo || {};
  const status = me.status || m.status || "active";
  const complete = !me.completeness || me.completeness.complete;
  const step = nextStep(me);
  return {
    name: m.name || "",
    memberNo: m.member_no || "",
    association: m.association_name || m.association || "",
    statusLabel: m.status_label || status,
    statusTitle: meta.t("status_title", { status: m.status_label || status }),
    statusReason: me.status_reason || "",
    statusMeaning: (me.standing && me.standing.meaning) ? me.standing.meaning + "。" : "",
    statusContact: meta.t("status_contact", { contact: (me.standing && me.standing.contact) || m.association_name || "" }),
    active: status === "active",
    photoLabel: meta.t("photo_status_labels." + (photo.has_photo && photo.status !== "review" && photo.status !== "pending"
      ? "accepted" : (photo.status || "none"))),
    photoLine: meta.t("photo_status_lines." + (photo.status || "")),
    completeLabel: complete ? meta.t("complete_label") : meta.t("incomplete_label"),
    complete,
    missing: ((me.completeness && me.completeness.missing) || []).map((x) => x.label).join("、"),
    step,
    canUpload: status === "active" && photo.status !== "review",
  };
}

Component({
  data: { t: {}, support: meta.support(), metaError: "", loading: true, error: "", v: null },
  methods: {
    onLoad() {
      if (!requireLogin()) return Promise.resolve();
      return withMeta(this).catch(() => {});
    },

    onShow() {
      if (!api.signedIn()) return Promise.resolve();
      return this.refresh();
    },

    refresh() {
      this.setData({ loading: true, error: "" });
      return Promise.all([meta.load(), api.get("/me")]).then(([m, me]) => {
        this.setData({ t: m.texts, support: m.support, loading: false, v: view(me) });
      }, (err) => {
        if (api.isExpired(err)) return;
        if (err.code === "PASSWORD_CHANGE_REQUIRED") { wx.redirectTo({ url: "/pages/password/password?forced=1" }); return; }
        this.setData({ loading: false, error: err.message });
      });
    },

    go(e) {
      const to = e.currentTarget.dataset.to;
      wx.navigateTo({ url: `/pages/${to}/${to}` });
    },

    logout() {
      return api.logout().then(() => wx.reLaunch({ url: "/pages/login/login?reason=logout" }));
    },
  },
});
