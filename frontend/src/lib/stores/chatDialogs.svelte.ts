// The dialogs a chat's menu opens (share, export). The menu lives in a sidebar row that may
// scroll out of the page, so the dialogs are mounted once, above it (ChatDialogs.svelte).
import type { ChatSummary } from '../api/types';

export const chatDialog: { share: ChatSummary | null; export: ChatSummary | null } = $state({
  share: null,
  export: null,
});
