// hls.js's light build (no alternate audio, subtitles, DRM or interstitials, which the app's streams never
// use) ships without its own declarations: it has the full build's API.
declare module 'hls.js/light' {
  export * from 'hls.js';
  export { default } from 'hls.js';
}
