package org.cpnskeys.containers;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a container suite: disabled, with the reason, where Docker or the local images are missing and CI does
 * not require them (so Surefire reports every test of the suite as skipped for that reason, not as 0 run);
 * enabled where CI requires Docker (CI_REQUIRE_DOCKER=1), so that a missing Docker fails instead of skipping.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresDocker.Condition.class)
@interface RequiresDocker {

    /** The condition behind the annotation: {@link Images#unusableReason()}. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(final ExtensionContext context) {
            if (DockerAvailabilityIT.REQUIRED) {
                return ConditionEvaluationResult.enabled("CI_REQUIRE_DOCKER=1: container suites always run");
            }
            return Images.unusableReason().map(ConditionEvaluationResult::disabled)
                    .orElseGet(() -> ConditionEvaluationResult.enabled("Docker and the local images are there"));
        }
    }
}
