// Who is signed in. The session itself is the HttpOnly cookie: nothing about it is stored
// in the page beyond the user's public profile.
import { ApiError, api, whenUnauthorized } from '../api/client';
import type { SetupState, User } from '../api/types';

type State = 'loading' | 'signed-out' | 'signed-in';

class Session {
  state: State = $state('loading');
  user: User | null = $state(null);
  /** Null when the server does not say (older servers): the app then assumes nothing. */
  setup: SetupState | null = $state(null);

  async load(): Promise<void> {
    try {
      this.signedIn(await api.get<User>('/api/auth/me'));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      // Before the state changes: the first screen depends on it ("create the admin account").
      await this.loadSetup();
      this.user = null;
      this.state = 'signed-out';
    }
  }

  async loadSetup(): Promise<void> {
    try {
      this.setup = await api.get<SetupState>('/api/auth/setup');
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.setup = null;
    }
  }

  /** `code`: the authenticator app's code or a recovery code, for an account with two-factor on. */
  async login(email: string, password: string, code?: string): Promise<User> {
    const body = code === undefined ? { email, password } : { email, password, code };
    return this.signedIn(await api.post<User>('/api/auth/login', body));
  }

  async signup(name: string, email: string, password: string): Promise<User> {
    return this.signedIn(await api.post<User>('/api/auth/signup', { name, email, password }));
  }

  async logout(): Promise<void> {
    try {
      await api.post('/api/auth/logout');
    } finally {
      this.user = null;
      this.state = 'signed-out';
    }
  }

  /** A request answered 401: the session ended elsewhere (expired, revoked). */
  expired(): void {
    this.user = null;
    this.state = 'signed-out';
  }

  private signedIn(user: User): User {
    this.user = user;
    this.state = 'signed-in';
    return user;
  }
}

export const session = new Session();
whenUnauthorized(() => session.expired());
