// @billing/console-assets: the console's built files (apps/console/dist) and the one way they
// are served, by the standalone app and by the console server of the distributed mode alike,
// and the lifecycle of those two front servers.
export { ConsoleAssets, type Asset } from './console-assets.js';
export { CONSOLE_CSP, sendAsset, serveConsolePage } from './console-page.js';
export { closeGracefully, listenOn } from './http-server.js';
