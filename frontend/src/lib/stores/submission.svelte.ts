// One form submission's state: busy while it runs, then the API's message and its per-field
// errors (shown beside the fields) when it fails.
import { ApiError } from '../api/client';

export class Submission {
  busy = $state(false);
  error = $state('');
  fields: Record<string, string> = $state({});

  clear(): void {
    this.error = '';
    this.fields = {};
  }

  /** Run `action`; true when it succeeded, false when its error is now shown. */
  async run(action: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.clear();
    try {
      await action();
      return true;
    } catch (caught) {
      this.error = caught instanceof Error ? caught.message : String(caught);
      if (caught instanceof ApiError) this.fields = caught.fieldErrors;
      return false;
    } finally {
      this.busy = false;
    }
  }
}
