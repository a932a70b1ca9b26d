package main

// Status in the shape of the TypeScript operator's (kstatus): Ready always, Reconciling while
// waiting or retrying, Stalled when a person must act; each with observedGeneration. The detail
// conditions (TemplateResolved, OptionsValid, ...) are left out: the harness and kstatus read only
// these three.

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	conditionReady       = "Ready"
	conditionReconciling = "Reconciling"
	conditionStalled     = "Stalled"
)

// outcome is what one reconcile found, before it becomes conditions.
type outcome struct {
	ready   bool
	stalled bool
	reason  string
	message string
}

// statusFacts are the non-condition status fields, known once the options are computed.
type statusFacts struct {
	url        string
	groups     []string
	configHash string
}

func stalled(reason, message string) outcome {
	return outcome{stalled: true, reason: reason, message: message}
}

func failed(err error) outcome {
	return outcome{reason: "ReconciliationFailed", message: err.Error()}
}

// applied judges the Deployment as `kubectl rollout status` does: the controller has seen the
// latest generation, and enough replicas are updated and available.
func applied(d *appsv1ac.DeploymentApplyConfiguration) outcome {
	desired := int32(1)
	if d.Spec != nil && d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	waiting := func(message string) outcome {
		return outcome{reason: "DeploymentUnavailable", message: message}
	}
	st := d.Status
	if st == nil || d.ObjectMetaApplyConfiguration == nil ||
		ptr.Deref(st.ObservedGeneration, 0) < ptr.Deref(d.Generation, 0) {
		return waiting("The Deployment controller has not observed the latest change yet")
	}
	if updated := ptr.Deref(st.UpdatedReplicas, 0); updated < desired {
		return waiting(fmt.Sprintf("%d of %d replicas updated", updated, desired))
	}
	if available := ptr.Deref(st.AvailableReplicas, 0); available < desired {
		return waiting(fmt.Sprintf("%d of %d replicas available", available, desired))
	}
	return outcome{ready: true, reason: "ReconciliationSucceeded", message: "The Callback API is available at status.url"}
}

// nextStatus computes the status for an outcome. meta.SetStatusCondition keeps a condition's
// lastTransitionTime when its status did not change, so a steady state yields an equal status.
func nextStatus(svc *CallbackService, out outcome, facts statusFacts) CallbackServiceStatus {
	gen := svc.Generation
	next := CallbackServiceStatus{
		ObservedGeneration: gen,
		Conditions:         append([]metav1.Condition(nil), svc.Status.Conditions...),
		URL:                facts.url,
		ServiceGroups:      facts.groups,
		ConfigHash:         facts.configHash,
	}
	set := func(typ string, status metav1.ConditionStatus, reason, message string) {
		meta.SetStatusCondition(&next.Conditions, metav1.Condition{
			Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: gen,
		})
	}
	switch {
	case out.ready:
		set(conditionReady, metav1.ConditionTrue, out.reason, out.message)
		meta.RemoveStatusCondition(&next.Conditions, conditionReconciling)
		meta.RemoveStatusCondition(&next.Conditions, conditionStalled)
	case out.stalled:
		set(conditionReady, metav1.ConditionFalse, out.reason, out.message)
		meta.RemoveStatusCondition(&next.Conditions, conditionReconciling)
		set(conditionStalled, metav1.ConditionTrue, out.reason, out.message)
	default: // waiting for the rollout, or retrying after an error
		set(conditionReady, metav1.ConditionFalse, out.reason, out.message)
		reconcilingReason := "Progressing"
		if out.reason == "ReconciliationFailed" {
			reconcilingReason = out.reason
		}
		set(conditionReconciling, metav1.ConditionTrue, reconcilingReason, out.message)
		meta.RemoveStatusCondition(&next.Conditions, conditionStalled)
	}
	return next
}

// updateStatus writes the status subresource only when it changed, with a JSON merge patch (no
// resourceVersion precondition, so a concurrent spec edit does not make it fail), and records an
// event when Ready changes.
func (r *ServiceReconciler) updateStatus(ctx context.Context, svc *CallbackService, out outcome, facts statusFacts) error {
	next := nextStatus(svc, out, facts)
	if equality.Semantic.DeepEqual(svc.Status, next) {
		return nil
	}
	before := meta.FindStatusCondition(svc.Status.Conditions, conditionReady)
	patch := client.MergeFrom(svc.DeepCopy())
	svc.Status = next
	if err := r.Status().Patch(ctx, svc, patch, fieldOwner); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	after := meta.FindStatusCondition(next.Conditions, conditionReady)
	if before != nil && before.Status == after.Status && before.Reason == after.Reason {
		return nil
	}
	switch {
	case out.ready:
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, out.reason, "Reconcile",
			"The Callback API is available at %s", facts.url)
	case out.stalled || out.reason == "ReconciliationFailed":
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, out.reason, "Reconcile", "%s", out.message)
	}
	return nil
}
