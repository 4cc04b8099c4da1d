export { APP_ERROR_CODES, isPlatformError, PlatformError, type PlatformErrorKind } from './platform-error.ts';
