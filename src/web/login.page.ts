import type { AuthUser } from '../rpc/context.js';
import { html, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

export interface LoginForm {
  user: string;
  next: string | null;
  error: string | null;
  viewer: AuthUser | null;
}

/** The login form; `next` rides along as a hidden field and is checked again when posted. */
export function loginBody(u: WebUrls, f: LoginForm): Html {
  return html`${f.viewer ? html`<p>You are logged in as <b>${f.viewer.name}</b>; logging in again replaces that session.</p>` : ''}
    ${f.error ? html`<p class="error" id="login-error">${f.error}</p>` : ''}
    <form class="login" method="post" action="${u.web}/login">
      <label>user <input name="user" autocomplete="username" required value="${f.user}" /></label>
      <label
        >password <input name="password" type="password" autocomplete="current-password" required
      /></label>
      ${f.next ? html`<input type="hidden" name="next" value="${f.next}" />` : ''}
      <button type="submit">log in</button>
    </form>`;
}
