/**
 * The support contact shown at the foot of every page (咨询电话). The number comes from the page
 * (the API's /meta when it publishes one, otherwise config.js); tapping it offers a call.
 */
Component({
  properties: {
    phone: { type: String, value: "" },
  },
  methods: {
    call() {
      const first = String(this.data.phone || "").split(/[\/,、]/)[0].trim();
      if (first) wx.makePhoneCall({ phoneNumber: first, fail: () => {} });
    },
  },
});
