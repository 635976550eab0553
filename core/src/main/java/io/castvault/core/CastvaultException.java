package io.castvault.core;

/** A failure that the caller can be told about: a code from {@link ErrorCode} and a human message. */
public class CastvaultException extends RuntimeException {
    private final ErrorCode code;

    public CastvaultException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public CastvaultException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static CastvaultException missing(String field) {
        return new CastvaultException(ErrorCode.MISSING_FIELDS, field + " is required");
    }

    public static CastvaultException invalid(String message) {
        return new CastvaultException(ErrorCode.INVALID_INPUT, message);
    }

    public static CastvaultException notFound(String what) {
        return new CastvaultException(ErrorCode.NOT_FOUND, what + " not found");
    }

    public static CastvaultException forbidden(String message) {
        return new CastvaultException(ErrorCode.FORBIDDEN, message);
    }

    public static CastvaultException conflict(String message) {
        return new CastvaultException(ErrorCode.CONFLICT, message);
    }
}
