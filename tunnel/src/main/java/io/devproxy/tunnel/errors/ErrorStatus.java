package io.devproxy.tunnel.errors;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place that maps exceptions to gRPC {@link Status}es and back, carrying the {@link ErrorCategory}
 * in the {@code devproxy-error-category} trailer.
 */
public final class ErrorStatus {

  private static final Logger logger = Logger.getLogger(ErrorStatus.class.getName());

  public static final Metadata.Key<String> CATEGORY_KEY =
      Metadata.Key.of("devproxy-error-category", Metadata.ASCII_STRING_MARSHALLER);

  private ErrorStatus() {}

  /** The status to close a call with for {@code t}; unexpected exceptions become INTERNAL and are logged. */
  public static StatusRuntimeException toStatus(Throwable t) {
    if (t instanceof StatusRuntimeException sre) {
      return sre;
    }
    ErrorCategory category;
    String message;
    if (t instanceof DevproxyException de) {
      category = de.category();
      message = de.getMessage();
    } else if (t instanceof IllegalArgumentException) {
      category = ErrorCategory.USER;
      message = t.getMessage();
    } else {
      logger.log(Level.WARNING, "internal error", t);
      category = ErrorCategory.INTERNAL;
      message = "internal error: " + t + " (see the daemon log; please report it)";
    }
    Metadata trailers = new Metadata();
    trailers.put(CATEGORY_KEY, category.name());
    return statusFor(category).withDescription(message).asRuntimeException(trailers);
  }

  private static Status statusFor(ErrorCategory category) {
    return switch (category) {
      case USER -> Status.INVALID_ARGUMENT;
      case CONFIG -> Status.FAILED_PRECONDITION;
      case CLUSTER -> Status.UNAVAILABLE;
      case INTERNAL -> Status.INTERNAL;
    };
  }

  /** The exception a client sees for a failed call; the category defaults to INTERNAL when absent. */
  public static DevproxyException fromStatus(StatusRuntimeException e) {
    Metadata trailers = e.getTrailers();
    String name = trailers == null ? null : trailers.get(CATEGORY_KEY);
    ErrorCategory category = ErrorCategory.INTERNAL;
    if (name != null) {
      try {
        category = ErrorCategory.valueOf(name);
      } catch (IllegalArgumentException ignored) {
        // A newer daemon's category: keep INTERNAL.
      }
    }
    String description = e.getStatus().getDescription();
    return new DevproxyException(category, description != null ? description : e.getStatus().toString(), e);
  }
}
