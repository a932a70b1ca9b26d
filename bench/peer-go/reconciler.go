package main

// The reconciler: read the service and its template from the cache, compute the effective
// options, server-side apply the four children, write status if it changed. Level-triggered like
// the TypeScript operator: it never looks at the event that queued the key.

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// fieldOwner is the server-side apply field manager of every write, children and status alike.
const fieldOwner = client.FieldOwner("callback-operator-peer-go")

// templateIndex is a cache index from a template name to the services using it, so a template
// change re-queues exactly those services without listing every service.
const templateIndex = "spec.template"

// ServiceReconciler reconciles CallbackServices.
type ServiceReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Image runs the Callback API unless spec.api.image overrides it.
	Image string
}

// SetupWithManager wires the watches: the services themselves, their four child kinds (mapped to
// the owner through the controller owner reference), and templates (mapped through the index).
func (r *ServiceReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, concurrency int) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, &CallbackService{}, templateIndex,
		func(obj client.Object) []string { return []string{templateName(obj.(*CallbackService))} })
	if err != nil {
		return fmt.Errorf("indexing services by template: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Our own status writes bump neither the generation nor the annotations: skipping those
		// updates keeps a status write from triggering another reconcile (and four more applies).
		// Annotations still count, as the TypeScript operator's requested-at annotation does.
		For(&CallbackService{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&corev1.ConfigMap{}).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Owns(&networkingv1.Ingress{}).
		Watches(&ServiceTemplate{},
			handler.EnqueueRequestsFromMapFunc(r.servicesForTemplate),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: concurrency}).
		Complete(r)
}

// servicesForTemplate is the template fan-out: every service naming the template is re-queued.
func (r *ServiceReconciler) servicesForTemplate(ctx context.Context, tpl client.Object) []reconcile.Request {
	var services CallbackServiceList
	if err := r.List(ctx, &services, client.MatchingFields{templateIndex: tpl.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "Listing the services of a template", "template", tpl.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(services.Items))
	for _, svc := range services.Items {
		requests = append(requests, reconcile.Request{
			NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name},
		})
	}
	return requests
}

// Reconcile brings one service's children and status to what its spec and template say.
// An error makes controller-runtime retry the key with per-key exponential backoff.
func (r *ServiceReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var svc CallbackService
	if err := r.Get(ctx, req.NamespacedName, &svc); err != nil {
		// Deleted: garbage collection removes the children through their owner references.
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !svc.DeletionTimestamp.IsZero() || svc.Spec.Suspend {
		return ctrl.Result{}, nil
	}

	var tpl ServiceTemplate
	if err := r.Get(ctx, client.ObjectKey{Name: templateName(&svc)}, &tpl); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		// Retrying cannot help; the template watch re-queues the service once it exists.
		return ctrl.Result{}, r.updateStatus(ctx, &svc, stalled("TemplateNotFound",
			fmt.Sprintf("spec.template: ServiceTemplate %q does not exist", templateName(&svc))), statusFacts{})
	}
	scenario := findScenario(&tpl, svc.Spec.Scenario)
	if scenario == nil {
		return ctrl.Result{}, r.updateStatus(ctx, &svc, stalled("UnknownScenario",
			fmt.Sprintf("spec.scenario: ServiceTemplate %q has no scenario %q", tpl.Name, svc.Spec.Scenario)), statusFacts{})
	}

	options := effectiveOptions(&svc.Spec, &tpl.Spec, scenario.Values)
	children := buildChildren(&svc, options, r.Image)
	facts := statusFacts{url: serviceURL(&svc), groups: serviceGroups(options), configHash: configHash(options)}
	if err := r.applyChildren(ctx, &children); err != nil {
		if ctx.Err() != nil {
			return ctrl.Result{}, err // shutting down: nothing to report, the next leader retries
		}
		return ctrl.Result{}, errors.Join(err, r.updateStatus(ctx, &svc, failed(err), facts))
	}
	// No requeue while the rollout is under way: Owns(Deployment) wakes us when its status moves.
	return ctrl.Result{}, r.updateStatus(ctx, &svc, applied(children.deployment), facts)
}

// applyChildren server-side applies each child, forcing ownership of the fields it sets. Every
// reconcile applies all four: the apiserver turns an unchanged apply into a no-op without a write,
// which is the usual controller-runtime idiom (the TypeScript operator instead compares with its
// cache first and skips the request; README: deliberate differences).
func (r *ServiceReconciler) applyChildren(ctx context.Context, children *desiredChildren) error {
	if err := r.Apply(ctx, children.configMap, fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("applying ConfigMap: %w", err)
	}
	// The apply response is decoded into the apply configuration: its status is the Deployment's.
	if err := r.Apply(ctx, children.deployment, fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("applying Deployment: %w", err)
	}
	if err := r.Apply(ctx, children.service, fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("applying Service: %w", err)
	}
	if err := r.Apply(ctx, children.ingress, fieldOwner, client.ForceOwnership); err != nil {
		return fmt.Errorf("applying Ingress: %w", err)
	}
	return nil
}

func findScenario(tpl *ServiceTemplate, name string) *Scenario {
	for i := range tpl.Spec.Scenarios {
		if tpl.Spec.Scenarios[i].Name == name {
			return &tpl.Spec.Scenarios[i]
		}
	}
	return nil
}
