// Preloaded into the conformance suite (node --import ./bearer.mjs).
//
// The suite's server mode cannot send a header: `conformance server` has no
// header or token option, its MCP client is the SDK's
// StreamableHTTPClientTransport built with the URL only, and the scenarios'
// own requests use fetch() and undici's request(). Both of those go through
// undici's global dispatcher, so this installs one that, for requests to the
// origin of $KEDGE_CONF_URL:
//   - adds "Authorization: Bearer $KEDGE_CONF_TOKEN" unless the request has
//     an Authorization header already;
//   - starts at most one request every $KEDGE_CONF_GAP_MS (default 125 ms),
//     so the suite stays under kedge's rate limit per token (10/s, burst 30)
//     instead of measuring it (429).
import { Agent, setGlobalDispatcher } from 'undici';

const token = process.env.KEDGE_CONF_TOKEN;
const origin = process.env.KEDGE_CONF_URL
  ? new URL(process.env.KEDGE_CONF_URL).origin
  : null;
const gap = Number(process.env.KEDGE_CONF_GAP_MS ?? 125);

function withAuth(headers) {
  const auth = `Bearer ${token}`;
  if (headers == null) return { authorization: auth };
  if (Array.isArray(headers)) {
    // flat [name, value, name, value, ...] (or [[name, value], ...])
    const flat = headers.flat();
    for (let i = 0; i < flat.length; i += 2)
      if (String(flat[i]).toLowerCase() === 'authorization') return headers;
    return [...flat, 'authorization', auth];
  }
  if (typeof headers[Symbol.iterator] === 'function') {
    const out = {};
    for (const [k, v] of headers) out[k] = v;
    headers = out;
  }
  for (const k of Object.keys(headers))
    if (k.toLowerCase() === 'authorization') return headers;
  return { ...headers, authorization: auth };
}

let next = 0;
function kedgeInterceptor(dispatch) {
  return (opts, handler) => {
    if (!token || !origin || new URL(opts.origin).origin !== origin)
      return dispatch(opts, handler);
    const o = { ...opts, headers: withAuth(opts.headers) };
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + gap;
    if (at <= now) return dispatch(o, handler);
    setTimeout(() => dispatch(o, handler), at - now);
    return true;
  };
}

setGlobalDispatcher(new Agent().compose(kedgeInterceptor));
