package main

// The desired children of one CallbackService, as client-go apply configurations: each holds only
// the fields this controller owns, which is what server-side apply wants. The shapes follow
// src/render/children.ts of the TypeScript operator, so both controllers write the same objects.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
)

// Label keys and values shared with the TypeScript operator (src/api/group.ts), so the same
// label-selected caches and `kubectl get -l` queries work against either controller's children.
const (
	labelManagedBy       = "app.kubernetes.io/managed-by"
	labelService         = "callback-operator.io/service"
	labelTemplate        = "callback-operator.io/template"
	groupLabelPrefix     = "group.callback-operator.io/"
	managedByValue       = "callback-operator"
	configHashAnnotation = "callback-operator.io/config-hash"
	serviceGroupsOption  = "_service_groups"
	defaultTemplate      = "callback"

	apiPort         = 8080
	configMountPath = "/etc/callback-operator/service"
	dataPath        = "/var/lib/callback-api"
)

// effectiveOptions is template defaults ⊕ scenario values ⊕ spec.options − spec.removedOptions,
// the GMS service section. Mandatory options cannot be removed (GMS locks them), so a removal of
// one is ignored. Unlike the TypeScript operator, values are not checked against their declared
// types: the CRD's CEL rules already reject the common mistakes (README: deliberate differences).
func effectiveOptions(spec *CallbackServiceSpec, tpl *ServiceTemplateSpec, scenario map[string]string) map[string]string {
	options := map[string]string{}
	mandatory := map[string]bool{}
	for _, option := range tpl.Options {
		if option.Default != nil {
			options[option.Name] = *option.Default
		}
		mandatory[option.Name] = option.Mandatory
	}
	maps.Copy(options, scenario)
	maps.Copy(options, spec.Options)
	for _, name := range spec.RemovedOptions {
		if !mandatory[name] {
			delete(options, name)
		}
	}
	return options
}

// configHash is a short content hash of the options: the first 16 hex digits of the SHA-256 of
// their JSON with sorted keys, the same value src/render/hash.ts computes. It goes on the pod
// template so that a changed section rolls every replica.
func configHash(options map[string]string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // JSON.stringify does not escape <, > and &
	_ = enc.Encode(options)  // a map[string]string always encodes; Go sorts map keys
	sum := sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return hex.EncodeToString(sum[:])[:16]
}

// serviceGroups splits `_service_groups` ("support, blackfriday") into group names. The CRD's CEL
// rules have already rejected malformed lists, so this only trims.
func serviceGroups(options map[string]string) []string {
	value, ok := options[serviceGroupsOption]
	if !ok {
		return nil
	}
	var groups []string
	for _, entry := range strings.Split(value, ",") {
		if group := strings.TrimSpace(entry); group != "" {
			groups = append(groups, group)
		}
	}
	return groups
}

// childLabels are on every child: managed-by (the cache's label selector), the owning service,
// its template and one label per GMS service group.
func childLabels(svc *CallbackService, groups []string) map[string]string {
	labels := map[string]string{
		labelManagedBy:              managedByValue,
		labelService:                svc.Name,
		labelTemplate:               templateName(svc),
		"app.kubernetes.io/name":    "callback-api",
		"app.kubernetes.io/part-of": "callback-operator",
	}
	for _, group := range groups {
		labels[groupLabelPrefix+group] = "true"
	}
	return labels
}

// selectorLabels select the service's pods. A Deployment's selector is immutable, so it holds
// only what never changes for a service (not the template or the groups).
func selectorLabels(name string) map[string]string {
	return map[string]string{labelService: name, "app.kubernetes.io/name": "callback-api"}
}

func servicePaths(name string) []string {
	return []string{"/genesys/1/service/callback/" + name, "/genesys/2/service/callback/" + name}
}

func templateName(svc *CallbackService) string {
	if svc.Spec.Template == "" {
		return defaultTemplate // the CRD defaults it; an object written before that still works
	}
	return svc.Spec.Template
}

// ownerReference makes the service the controller of each child: garbage collection deletes the
// children with the service, and Owns() maps a child's events back to it.
func ownerReference(svc *CallbackService) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(GroupVersion.String()).
		WithKind("CallbackService").
		WithName(svc.Name).
		WithUID(svc.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// desiredChildren holds the four children in the order they are applied: the section first, so
// the Deployment never starts pods that mount a ConfigMap which does not exist yet.
type desiredChildren struct {
	configMap  *corev1ac.ConfigMapApplyConfiguration
	deployment *appsv1ac.DeploymentApplyConfiguration
	service    *corev1ac.ServiceApplyConfiguration
	ingress    *networkingv1ac.IngressApplyConfiguration
}

func buildChildren(svc *CallbackService, options map[string]string, image string) desiredChildren {
	labels := childLabels(svc, serviceGroups(options))
	owner := ownerReference(svc)
	return desiredChildren{
		configMap: corev1ac.ConfigMap("service."+svc.Name, svc.Namespace).
			WithLabels(labels).
			WithOwnerReferences(owner).
			WithData(options),
		deployment: deployment(svc, labels, owner, configHash(options), image),
		service: corev1ac.Service(svc.Name, svc.Namespace).
			WithLabels(labels).
			WithOwnerReferences(owner).
			WithSpec(corev1ac.ServiceSpec().
				WithType(corev1.ServiceTypeClusterIP).
				WithSelector(selectorLabels(svc.Name)).
				WithPorts(corev1ac.ServicePort().
					WithName("http").
					WithPort(80).
					WithTargetPort(intstr.FromString("http")).
					WithProtocol(corev1.ProtocolTCP))),
		ingress: ingress(svc, labels, owner),
	}
}

func deployment(
	svc *CallbackService,
	labels map[string]string,
	owner *metav1ac.OwnerReferenceApplyConfiguration,
	hash string,
	image string,
) *appsv1ac.DeploymentApplyConfiguration {
	replicas := int32(1)
	if svc.Spec.API != nil && svc.Spec.API.Replicas != nil {
		replicas = *svc.Spec.API.Replicas
	}
	if svc.Spec.API != nil && svc.Spec.API.Image != "" {
		image = svc.Spec.API.Image
	}
	selector := selectorLabels(svc.Name)
	// With a database the pods are stateless; without one, the data directory is an emptyDir (the
	// benchmarks run services on PostgreSQL; the embedded database's StatefulSet is not mirrored).
	var database *SecretKeyRef
	if svc.Spec.API != nil {
		database = svc.Spec.API.DatabaseSecretRef
	}
	args := []string{"callback-api", "--service-name", svc.Name, "--config-dir", configMountPath, "--port", "8080"}
	mounts := []*corev1ac.VolumeMountApplyConfiguration{
		corev1ac.VolumeMount().WithName("config").WithMountPath(configMountPath).WithReadOnly(true),
		corev1ac.VolumeMount().WithName("tmp").WithMountPath("/tmp"),
	}
	volumes := []*corev1ac.VolumeApplyConfiguration{
		corev1ac.Volume().WithName("config").WithProjected(corev1ac.ProjectedVolumeSource().
			WithSources(corev1ac.VolumeProjection().
				WithConfigMap(corev1ac.ConfigMapProjection().WithName("service." + svc.Name)))),
		corev1ac.Volume().WithName("tmp").WithEmptyDir(corev1ac.EmptyDirVolumeSource()),
	}
	var env []*corev1ac.EnvVarApplyConfiguration
	requests, limit := "640Mi", "1536Mi"
	if database == nil {
		args = append(args, "--data-dir", dataPath)
		mounts = append(mounts, corev1ac.VolumeMount().WithName("data").WithMountPath(dataPath))
		volumes = append(volumes, corev1ac.Volume().WithName("data").WithEmptyDir(corev1ac.EmptyDirVolumeSource()))
	} else {
		key := database.Key
		if key == "" {
			key = "url"
		}
		env = append(env, corev1ac.EnvVar().WithName("CALLBACK_API_DATABASE_URL").
			WithValueFrom(corev1ac.EnvVarSource().
				WithSecretKeyRef(corev1ac.SecretKeySelector().WithName(database.Name).WithKey(key))))
		requests, limit = "96Mi", "256Mi"
	}
	container := corev1ac.Container().
		WithName("callback-api").
		WithImage(image).
		WithImagePullPolicy(corev1.PullIfNotPresent).
		WithArgs(args...).
		WithEnv(env...).
		WithPorts(corev1ac.ContainerPort().WithName("http").WithContainerPort(apiPort).WithProtocol(corev1.ProtocolTCP)).
		WithReadinessProbe(corev1ac.Probe().
			WithHTTPGet(corev1ac.HTTPGetAction().WithPath("/readyz").WithPort(intstr.FromString("http"))).
			WithPeriodSeconds(5).
			WithFailureThreshold(3)).
		WithLivenessProbe(corev1ac.Probe().
			WithHTTPGet(corev1ac.HTTPGetAction().WithPath("/healthz").WithPort(intstr.FromString("http"))).
			WithPeriodSeconds(10).
			WithFailureThreshold(6)).
		WithResources(corev1ac.ResourceRequirements().
			WithRequests(corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("50m"),
				corev1.ResourceMemory: resource.MustParse(requests),
			}).
			WithLimits(corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(limit)})).
		WithLifecycle(corev1ac.Lifecycle().
			WithPreStop(corev1ac.LifecycleHandler().WithSleep(corev1ac.SleepAction().WithSeconds(3)))).
		WithSecurityContext(corev1ac.SecurityContext().
			WithAllowPrivilegeEscalation(false).
			WithReadOnlyRootFilesystem(true).
			WithRunAsNonRoot(true).
			WithCapabilities(corev1ac.Capabilities().WithDrop("ALL"))).
		WithVolumeMounts(mounts...)
	return appsv1ac.Deployment(svc.Name, svc.Namespace).
		WithLabels(labels).
		WithOwnerReferences(owner).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(replicas).
			WithRevisionHistoryLimit(3).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(selector)).
			WithStrategy(appsv1ac.DeploymentStrategy().
				WithType(appsv1.RollingUpdateDeploymentStrategyType).
				WithRollingUpdate(appsv1ac.RollingUpdateDeployment().
					WithMaxUnavailable(intstr.FromInt32(0)).
					WithMaxSurge(intstr.FromInt32(1)))).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(selector).
				// A changed section changes the pod template, so every replica rolls onto it.
				WithAnnotations(map[string]string{configHashAnnotation: hash}).
				WithSpec(corev1ac.PodSpec().
					WithAutomountServiceAccountToken(false).
					WithEnableServiceLinks(false).
					WithSecurityContext(corev1ac.PodSecurityContext().
						WithRunAsNonRoot(true).
						WithRunAsUser(1000).
						WithRunAsGroup(1000).
						WithFSGroup(1000).
						WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
					WithContainers(container).
					WithVolumes(volumes...))))
}

// ingress routes both GMS paths to the Service. The TypeScript operator's default routing mode is
// an Ingress too; the peer does not implement Gateway API HTTPRoutes.
func ingress(
	svc *CallbackService,
	labels map[string]string,
	owner *metav1ac.OwnerReferenceApplyConfiguration,
) *networkingv1ac.IngressApplyConfiguration {
	route := svc.Spec.Route
	if route == nil {
		route = &RouteSpec{}
	}
	rule := networkingv1ac.IngressRule()
	if route.Host != "" {
		rule.WithHost(route.Host)
	}
	paths := networkingv1ac.HTTPIngressRuleValue()
	for _, path := range servicePaths(svc.Name) {
		paths.WithPaths(networkingv1ac.HTTPIngressPath().
			WithPath(path).
			WithPathType(networkingv1.PathTypePrefix).
			WithBackend(networkingv1ac.IngressBackend().
				WithService(networkingv1ac.IngressServiceBackend().
					WithName(svc.Name).
					WithPort(networkingv1ac.ServiceBackendPort().WithName("http")))))
	}
	spec := networkingv1ac.IngressSpec().WithRules(rule.WithHTTP(paths))
	if route.IngressClassName != "" {
		spec.WithIngressClassName(route.IngressClassName)
	}
	ing := networkingv1ac.Ingress(svc.Name, svc.Namespace).
		WithLabels(labels).
		WithOwnerReferences(owner).
		WithSpec(spec)
	if len(route.Annotations) > 0 {
		ing.WithAnnotations(route.Annotations)
	}
	return ing
}

// serviceURL is what status.url says: the routed URL with a host, the in-cluster one without.
func serviceURL(svc *CallbackService) string {
	path := servicePaths(svc.Name)[0]
	if svc.Spec.Route != nil && svc.Spec.Route.Host != "" {
		return "https://" + svc.Spec.Route.Host + path
	}
	return "http://" + svc.Name + "." + svc.Namespace + ".svc.cluster.local" + path
}
