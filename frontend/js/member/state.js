/**
 * What the member page's views share: the API client, the page state (GET /me, the loaded
 * /meta, the photo shown, a pending notice) and the session shell.
 */
import { Api } from "../api.js";

export const api = new Api("member");
export const state = { me: null, meta: null, photoUrl: null, notice: null };

/** The page's session shell (login, password, logout), set by main.js. */
export const session = {};
