/** A state operation the caller got wrong (unknown account, game not owned): the admin API answers `status`. */
export class SandboxStateError extends Error {
  readonly status: number;
  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = 'SandboxStateError';
    this.status = status;
  }
}
