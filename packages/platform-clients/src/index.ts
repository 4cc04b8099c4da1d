export { APP_ERROR_CODES, isPlatformError, PlatformError, type PlatformErrorKind } from './platform-error.ts';
export {
  createPlatformHttp,
  type PlatformCall,
  type PlatformHttp,
  type PlatformHttpOptions,
  type PlatformRequest,
  type PlatformResponse,
  type StatusClassifier,
} from './http/platform-http.ts';
export { parseRetryAfter } from './http/retry-after.ts';
