/** Shapes of what the functions answer. Fields marked optional are extras the app uses when present. */

export type Role = 'admin' | 'viewer' | string;

export interface User {
  id: string;
  username: string;
  role: Role;
}

export interface LoginResponse {
  token: string;
  user: User;
}

export type Container = 'mp4' | 'webm';

export interface Rendition {
  container: Container;
  width: number;
  height: number;
  url: string;
  /** Admin view: state of the job making this rendition. */
  status?: 'queued' | 'processing' | 'ready' | 'failed' | string;
  progress?: number;
  error?: string;
  bitrate?: number;
  size?: number;
}

/** One rung of an item's HLS stream (the master playlist lists them all). */
export interface StreamRendition {
  name: string;
  /** mp4: H.264 + AAC; webm: VP9 + Opus (both in fMP4 segments). */
  container: Container;
  width: number;
  height: number;
  /** RFC 6381, as in the master playlist's CODECS. */
  codecs: string;
  bandwidth: number;
  /** Its playlist has ended (EXT-X-ENDLIST); until then it grows. */
  complete: boolean;
}

export interface ContentStream {
  type: 'hls';
  /** The signed master playlist, relative to the front door. */
  url: string;
  renditions: StreamRendition[];
}

export interface Subtitle {
  lang: string;
  label: string;
  url: string;
}

export interface PreviewSprite {
  /** WebVTT file whose cues point into the sprite: `sprite.jpg#xywh=x,y,w,h`. */
  vtt: string;
  sprite?: string;
}

export type ContentStatus = 'processing' | 'ready' | 'failed';

export interface ContentItem {
  id: string;
  title: string;
  description: string;
  duration: number | null;
  status: ContentStatus | string;
  thumbnail: string | null;
  renditions: Rendition[];
  /** The adaptive stream: null until its first segments exist (older servers leave it out). */
  stream?: ContentStream | null;
  /** Viewers may watch it (its stream has segments), even while it is still processing. */
  playable?: boolean;
  subtitles: Subtitle[];
  preview?: PreviewSprite | null;
  /** Admins: 0-100 while processing. */
  progress?: number;
  /** Admins: why processing failed. */
  error?: string | null;
  created_at?: string | number;
  filename?: string;
  /** Admins: per-job detail, when the pipeline reports it. */
  jobs?: ContentJob[];
  /** Admins: the renditions planned for this item and whether each is done. */
  plan?: PlannedRendition[];
  size?: number;
}

export interface PlannedRendition {
  name: string;
  container: Container;
  width: number;
  height: number;
  done: boolean;
  progress?: number;
}

export interface ContentJob {
  name?: string;
  kind?: string;
  container?: Container;
  height?: number;
  status: string;
  progress?: number;
  error?: string | null;
}

export interface ContentPage {
  items: ContentItem[];
  total: number;
  page: number;
  per_page: number;
}

export interface ProgressEntry {
  content_id: string;
  position: number;
  duration: number | null;
  updated_at?: string | number;
}

export interface ProgressList {
  items: ProgressEntry[];
}

export interface RoomMember {
  user_id: string;
  username: string;
  peer_id?: string | null;
  online?: boolean;
  last_seen?: number | string;
}

export interface QueueEntry {
  content_id: string;
  title?: string;
  votes: number;
  voters: string[];
  proposed_by?: string;
}

export interface PlaybackState {
  playing: boolean;
  position: number;
  rate: number;
  /** Server time (epoch ms) at which `position` was true. */
  updated_at?: number;
}

export interface PeerConfig {
  host: string;
  port: number;
  path: string;
  key: string;
  secure?: boolean;
  token?: string;
  /** Epoch seconds the token stops being accepted at. */
  token_expires?: number;
  peer_id?: string;
  /** The signalling server's place in the pool (peer.server.index): a room's state names where it lives now. */
  server_index?: number;
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** A room as the app uses it (normalised from what the room functions answer). */
export interface Room {
  id: string;
  name: string;
  host_id: string | null;
  /** Who made the room: the one who may remove people from it. */
  owner_id?: string | null;
  has_pin: boolean;
  locked: boolean;
  content_id: string | null;
  content: ContentItem | null;
  playback: PlaybackState | null;
  members: RoomMember[];
  queue: QueueEntry[];
  created_at?: string | number;
}

/** What join-room answers: the room's state plus how to reach its PeerJS server. */
export interface JoinResponse extends Room {
  peer: PeerConfig;
  ice_servers: IceServer[];
  /** How long the room waits for a member whose film does not load before it plays on (s). */
  buffer_wait_s?: number;
}

export interface RecentRoom {
  id: string;
  name: string;
  has_pin?: boolean;
  content_title?: string | null;
  last_joined?: string | number;
  members?: number;
  is_host?: boolean;
}

export interface AdminUser {
  id: string;
  username: string;
  role: Role;
  created_at?: string | number;
}

export interface ServiceStatus {
  name: string;
  status: 'up' | 'down' | string;
  uptime_percent: number | null;
  uptime_24h?: number | null;
  uptime_30d?: number | null;
  last_check?: string | number | null;
  last_change?: string | number | null;
  detail?: string | null;
}

export interface ViewsPerVideo {
  content_id: string;
  title: string;
  views: number;
}

export interface Stats {
  total_views: number;
  views_per_video: ViewsPerVideo[];
  dau: number;
  mau: number;
  total_users: number;
  services: ServiceStatus[];
  series?: unknown;
  generated_at?: string | number;
}
