/**
 * The HTTP downloader, loaded when a file has to be downloaded: node's http, https and tls modules
 * cost about 17 ms of every command's start otherwise, and most commands find their data cached.
 */
export type Downloader = typeof import('./download.js');

let loading: Promise<Downloader> | undefined;

export function loadDownloader(): Promise<Downloader> {
  loading ??= import('./download.js');
  return loading;
}
