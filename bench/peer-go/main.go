// Command peer-go is the benchmark baseline of callback-operator: a small controller-runtime
// operator that reconciles the same CallbackService CRD into the same children, written the way a
// careful Go author would write it. See README.md for what it does and does not do, and why.
package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"sync/atomic"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

type options struct {
	metricsAddr      string
	probeAddr        string
	leaderElect      bool
	leaderElectionNS string
	concurrency      int
	qps              float64
	burst            int
	image            string
	zap              zap.Options
}

func parseFlags() options {
	var o options
	// --kubeconfig is registered by controller-runtime's config package (ctrl.GetConfig reads it).
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "127.0.0.1:8080",
		"Address of the Prometheus /metrics endpoint (plain HTTP, loopback by default); \"0\" disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", "127.0.0.1:8081",
		"Address of /healthz and /readyz (ready once every informer has synced).")
	flag.BoolVar(&o.leaderElect, "leader-elect", false,
		"Hold a Lease before reconciling, so only one replica works at a time.")
	flag.StringVar(&o.leaderElectionNS, "leader-election-namespace", "",
		"Namespace of the Lease; required with --leader-elect outside a cluster.")
	flag.IntVar(&o.concurrency, "concurrency", 8,
		"Services reconciled at once (MaxConcurrentReconciles); 8 like callback-operator's --concurrency.")
	flag.Float64Var(&o.qps, "qps", -1,
		"Client-side rate limit of API requests per second; -1 (controller-runtime's default) disables it "+
			"and leaves throttling to the apiserver's priority and fairness, as callback-operator does.")
	flag.IntVar(&o.burst, "burst", 0, "Burst of the client-side rate limit; used only when --qps > 0.")
	flag.StringVar(&o.image, "image", "ghcr.io/callback-operator/callback-operator:0.1.0",
		"Image of the Callback API unless spec.api.image overrides it (callback-operator's default).")
	o.zap.BindFlags(flag.CommandLine)
	flag.Parse()
	return o
}

func main() {
	o := parseFlags()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.zap)))
	log := ctrl.Log.WithName("setup")
	if err := run(ctrl.SetupSignalHandler(), o); err != nil {
		log.Error(err, "Stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	cfg.QPS = float32(o.qps)
	cfg.Burst = o.burst
	if o.qps > 0 && o.burst <= 0 {
		cfg.Burst = int(o.qps) // client-go rejects a rate limit without burst
	}

	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), addToScheme(scheme)); err != nil {
		return err
	}

	// The children are cached by label only, as callback-operator caches them: the operator never
	// holds every ConfigMap, Deployment, Service and Ingress of the cluster in memory. managedFields
	// are dropped from every cached object, as callback-operator drops them; neither controller
	// reads them.
	managed := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{labelManagedBy: managedByValue})}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme,
		Cache: cache.Options{
			DefaultTransform: cache.TransformStripManagedFields(),
			ByObject: map[client.Object]cache.ByObject{
				&corev1.ConfigMap{}:     managed,
				&appsv1.Deployment{}:    managed,
				&corev1.Service{}:       managed,
				&networkingv1.Ingress{}: managed,
			},
		},
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "callback-operator-peer-go",
		LeaderElectionNamespace: o.leaderElectionNS,
		// Stop reconciling at once on SIGTERM; a benchmark run stops the peer between phases.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return err
	}

	reconciler := &ServiceReconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("callback-operator-peer-go"),
		Image:    o.image,
	}
	if err := reconciler.SetupWithManager(ctx, mgr, o.concurrency); err != nil {
		return err
	}

	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	synced := &atomic.Bool{}
	if err := mgr.Add(cacheSyncWatcher(mgr, synced)); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("informers", func(*http.Request) error {
		if !synced.Load() {
			return errors.New("informers have not synced yet")
		}
		return nil
	}); err != nil {
		return err
	}

	ctrl.Log.WithName("setup").Info("Starting", "concurrency", o.concurrency, "qps", o.qps,
		"metrics", o.metricsAddr, "probes", o.probeAddr, "leaderElect", o.leaderElect)
	return mgr.Start(ctx)
}

// cacheSyncWatcher marks the peer ready once the informer of every watched kind has listed, so a
// benchmark starts its clock on a controller that is really reconciling. GetInformer blocks until
// that informer has synced. It runs with the controllers, after leader election when enabled.
func cacheSyncWatcher(mgr manager.Manager, synced *atomic.Bool) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		kinds := []client.Object{
			&CallbackService{}, &ServiceTemplate{},
			&corev1.ConfigMap{}, &appsv1.Deployment{}, &corev1.Service{}, &networkingv1.Ingress{},
		}
		for _, kind := range kinds {
			if _, err := mgr.GetCache().GetInformer(ctx, kind); err != nil {
				if ctx.Err() != nil {
					return nil // stopped before the caches synced
				}
				return err
			}
		}
		synced.Store(true)
		<-ctx.Done()
		return nil
	})
}
