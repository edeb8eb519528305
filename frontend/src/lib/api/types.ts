// Shapes of the API's answers (see src/confide/api/*.py for the source of truth).

export type Role = 'admin' | 'user' | 'pending';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  /** Same-origin URL of the profile picture (changes with it); null: none, show the initial. */
  avatar_url: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ChatSummary {
  id: string;
  title: string;
  pinned: boolean;
  archived: boolean;
  /** The folder it is in; null: in no folder. */
  folder_id: string | null;
  /** Its tags' names, as stored (the first spelling of each wins). */
  tags: string[];
  created_at: string;
  updated_at: string;
}

export interface Folder {
  id: string;
  name: string;
  /** The folder it is inside; null: at the top level. */
  parent_id: string | null;
  created_at: string;
  updated_at: string;
  /** How many of my chats are directly in it, archived ones left out. */
  chats: number;
  /** How many of my archived chats are directly in it. */
  archived_chats: number;
}

export interface Tag {
  id: string;
  name: string;
  /** How many of my chats carry it. */
  chats: number;
}

export type BulkAction = 'archive' | 'unarchive' | 'pin' | 'unpin' | 'move' | 'delete';

export type MessageStatus = 'streaming' | 'complete' | 'error' | 'stopped' | 'interrupted';

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  [key: string]: unknown;
}

export interface Message {
  id: string;
  parent_id: string | null;
  role: 'user' | 'assistant' | 'system';
  content: string;
  model: string | null;
  status: MessageStatus | string;
  finish_reason: string | null;
  error: string | null;
  usage: Usage | null;
  created_at: string;
  sibling_ids: string[];
  /** On a user message: the files, knowledge bases and web pages sent with it (names as
   * they were). */
  attachments?: Attachment[];
  /** On a reply: the passages it was given, numbered as it was told to cite them (`[n]`). */
  sources?: Source[];
}

export type AttachmentKind = 'file' | 'knowledge' | 'web';

/** A file, knowledge base or web page sent with a message; `name` is a snapshot taken when it
 * was sent, so a since-deleted file still shows its name. A web page's id and name are its
 * address. */
export interface Attachment {
  kind: AttachmentKind | string;
  id: string;
  name: string;
}

/** A passage retrieved for a reply. Its text is the file's (or page's) own words: render it
 * as text. */
export interface Source {
  /** The number the model was told to cite it as, `[n]`. */
  n: number;
  /** null for a web page. */
  file_id: string | null;
  /** A web page's first heading, or its host. */
  file_name: string;
  ordinal: number;
  /** Where it starts in the file, e.g. "page 3"; '' when the file has no pages or lines. */
  location: string;
  end_location: string;
  /** The headings it sits under, outermost first. */
  headings: string[];
  text: string;
  /** A web page's address (as the server read it, after redirects): never trust it as a link
   * without checking it is http(s). */
  url?: string | null;
}

export interface ChatDetail extends ChatSummary {
  current_leaf_id: string | null;
  messages: Message[];
}

export interface SendResult {
  user_message_id: string | null;
  assistant_message_ids: string[];
}

/** One chat found by `GET /api/chats/search`, with where it matched. */
export interface SearchHit {
  chat: ChatSummary;
  found: {
    /** The message that matched; null: the title. */
    message_id: string | null;
    /** Plain text around the match: render as text. */
    snippet: string;
    /** [start, end) code point offsets of the matching words in `snippet`. */
    highlights: [number, number][];
  };
}

export type ModelSourceType = 'local' | 'connection' | 'preset';

export interface Model {
  id: string;
  name: string;
  source: {
    type: ModelSourceType | string;
    connection_id: string | null;
    connection_name: string | null;
    preset_id: string | null;
  };
  base_model: string | null;
}

export interface ModelList {
  items: Model[];
  connections: { id: string; name: string; ok: boolean; error: string | null }[];
  duplicates: Model[];
}

export type SignupMode = 'approval' | 'open' | 'closed';

/** What a visitor who is not signed in may know about the instance (see the report: the
 * server does not offer this yet; the app copes without it). */
export interface SetupState {
  needs_admin: boolean;
  signup_mode: SignupMode;
}

// --- settings -------------------------------------------------------------------------------

export interface SessionInfo {
  id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  /** The key itself: the server shows it this once. */
  key: string;
}

// --- admin ----------------------------------------------------------------------------------

export type ConnectionKind = 'openai' | 'ollama';

export interface Connection {
  id: string;
  kind: ConnectionKind;
  name: string;
  base_url: string;
  has_api_key: boolean;
  model_prefix: string | null;
  enabled: boolean;
  model_allowlist: string[];
  connect_timeout: number;
  read_timeout: number;
  created_at: string;
  updated_at: string;
}

export interface ProbeResult {
  ok: boolean;
  model_count: number;
  error: string | null;
}

export type Visibility = 'private' | 'everyone' | 'groups';

export interface PresetParams {
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  stop?: string[];
  seed?: number | null;
}

export interface Preset {
  id: string;
  model_id: string;
  name: string;
  base_model: string;
  description: string;
  params: PresetParams;
  visibility: Visibility | string;
  mine: boolean;
  has_system_prompt: boolean;
  created_at: string;
  updated_at: string;
  /** Only in the owner's detail view. */
  system_prompt?: string | null;
  group_ids?: string[];
  /** Only in the owner's detail view: the knowledge bases every chat with it searches. */
  knowledge_ids?: string[];
}

export interface GroupSummary {
  id: string;
  name: string;
  description: string;
  member_count: number;
}

export interface InstanceSettings {
  signup_mode: SignupMode;
  signup_mode_locked: boolean;
  /** Whether a share link may be opened by anyone, not only signed-in users. */
  public_shares?: boolean;
  public_shares_locked?: boolean;
  /** Admin pages refuse an admin without two-factor on. */
  admins_need_two_factor?: boolean;
  /** The model files are embedded with: '' for the built-in all-MiniLM-L6-v2. */
  embedding_model?: string;
  /** Ready files still to be re-embedded after the embedding model changed. */
  files_to_reembed?: number;
  /** The model that orders retrieved passages again: '' for none. */
  rerank_model?: string;
}

export interface AuditEvent {
  seq: number;
  created_at: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  hash: string;
}

// --- sharing, export and import -------------------------------------------------------------

export interface Share {
  id: string;
  chat_id: string;
  title: string;
  /** The link as the server builds it (absolute, or a path on this origin). */
  url: string;
  token: string;
  /** Anyone with the link may open it, not only signed-in users of this instance. */
  public: boolean;
  message_count: number;
  created_at: string;
}

export interface SharedMessage {
  role: 'user' | 'assistant' | 'system' | string;
  content: string;
  model: string | null;
  created_at: string;
}

/** What a share link shows: the chat as it was when the link was made. */
export interface SharedChat {
  title: string;
  messages: SharedMessage[];
  created_at: string;
  public: boolean;
}

export type ExportFormat = 'json' | 'markdown' | 'text';

export type ImportStatus = 'imported' | 'skipped' | 'failed';

export interface ImportItem {
  index: number;
  title: string | null;
  status: ImportStatus;
  chat_id: string | null;
  error: string | null;
}

export interface ImportResult {
  /** Which kind of file it was read as. */
  format?: 'confide' | 'chatgpt' | 'openwebui' | string;
  imported: number;
  skipped: number;
  failed: number;
  results: ImportItem[];
}
