// The loader is shared with the console server of the distributed mode (libs/console-assets).
export { ConsoleAssets, type Asset } from '@billing/console-assets';
