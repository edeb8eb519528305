// Whether the admin pages are closed to this admin: the instance requires administrators to
// use two-factor authentication and this one has not turned it on. Learnt from the server's
// 403 (the pages' first request, pending.refresh), never guessed here.
import { twoFactorRefusal } from '../auth/twoFactor';

class AdminGate {
  /** The server's words when refused, else ''. */
  refusal = $state('');

  /** After an admin request: open when it succeeded, closed when refused for two-factor. */
  note(error: unknown = null): void {
    this.refusal = error === null ? '' : twoFactorRefusal(error) || this.refusal;
  }
}

export const adminGate = new AdminGate();
