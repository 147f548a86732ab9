import { NeolithError } from './neolith-error.js';

/** One place maps error codes to HTTP status, so every endpoint agrees. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ResourceNotFoundException: 404,
  InvalidRequestContentException: 400,
  InvalidParameterValueException: 400,
  RequestTooLargeException: 413,
  TooManyRequestsException: 429,
  ServiceException: 500,
  AbortError: 499,
  ConfigError: 500,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  AccessDeniedException: 403,
  MissingAuthenticationTokenException: 403,
  ResourceConflictException: 409,
  PolicyLengthExceededException: 400,
  ConditionalCheckFailedException: 400,
  UnauthorizedException: 401,
  NotFoundException: 404,
  InsecureBindError: 500,
  PortInUseError: 500,
  AddressUnavailableError: 500,
  StateDirError: 500,
};

/** HTTP status for an error the host raised; 500 for anything unexpected. */
export function httpStatusOf(error: unknown): number {
  if (error instanceof NeolithError) return STATUS_BY_CODE[error.code] ?? 500;
  return 500;
}
