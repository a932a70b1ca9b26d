{{/*
Names. Kubernetes names are at most 63 characters (DNS labels), so every name is truncated there.
*/}}
{{- define "callback-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: the release name, with the chart name unless it holds it. */}}
{{- define "callback-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "callback-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "callback-operator.labels" -}}
helm.sh/chart: {{ include "callback-operator.chart" . }}
{{ include "callback-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: callback-operator
{{- end }}

{{/* Labels that select the operator pods; never change them, a Deployment's selector is immutable. */}}
{{- define "callback-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "callback-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "callback-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "callback-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator image: repository, then @digest or :tag (the appVersion by default). */}}
{{- define "callback-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Callback API image: the operator's image unless callbackApi.image.repository is set. */}}
{{- define "callback-operator.callbackApiImage" -}}
{{- if .Values.callbackApi.image.repository }}
{{- printf "%s:%s" .Values.callbackApi.image.repository (default .Chart.AppVersion .Values.callbackApi.image.tag) }}
{{- else }}
{{- include "callback-operator.image" . }}
{{- end }}
{{- end }}

{{- define "callback-operator.leaderElectionId" -}}
{{- default (include "callback-operator.fullname" .) .Values.leaderElection.id }}
{{- end }}

{{/*
RBAC rules of the operator on namespaced kinds, derived from src/controller/ (each rule is
needed: test/integration/install-rbac.test.ts removes each one in turn and shows what breaks).
Granted by the ClusterRole, or by one Role per watched namespace when watchNamespaces is set.
*/}}
{{- define "callback-operator.namespacedRules" -}}
# CallbackServices: the informer lists and watches; the operator applies its labels.
- apiGroups: ["callback-operator.io"]
  resources: ["callbackservices"]
  verbs: ["list", "watch", "patch"]
- apiGroups: ["callback-operator.io"]
  resources: ["callbackservices/status"]
  verbs: ["patch"]
# Children point at their service with blockOwnerDeletion, which clusters running the
# OwnerReferencesPermissionEnforcement admission plug-in (OpenShift) allow only to those who may
# update the owner's finalizers.
- apiGroups: ["callback-operator.io"]
  resources: ["callbackservices/finalizers"]
  verbs: ["update"]
# Events on CallbackServices (Ready, failures).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# Children: cached by label (list, watch), fetched when missing from the cache (get), applied
# server-side (patch; an apply that creates the object is authorized as create too). Only the
# route and workload kinds are deleted, when a service switches between them (Ingress and
# HTTPRoute; Deployment with PostgreSQL and StatefulSet with the embedded database). The
# StatefulSet controller, not the operator, creates and keeps the embedded database's claims.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- end }}

{{/* Rules on ServiceTemplates, which are cluster-scoped: always in a ClusterRole. */}}
{{- define "callback-operator.clusterRules" -}}
# ServiceTemplates: the informer lists and watches; the built-in templates are server-side applied
# (patch; create when missing) after reading who owns their fields (get, docs/adr/0112).
- apiGroups: ["callback-operator.io"]
  resources: ["servicetemplates"]
  verbs: ["list", "watch"{{ if .Values.builtinTemplate.enabled }}, "get", "create", "patch"{{ end }}]
- apiGroups: ["callback-operator.io"]
  resources: ["servicetemplates/status"]
  verbs: ["patch"]
{{- end }}

{{/* The entry point (entryPoint.enabled): its name and the labels that select its pods. */}}
{{- define "callback-operator.entryPointName" -}}
{{- printf "%s-entry" (include "callback-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "callback-operator.entryPointSelectorLabels" -}}
app.kubernetes.io/name: {{ include "callback-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: entry-point
{{- end }}

{{/* The console (console.enabled): its name, the labels that select its pods, and its image. */}}
{{- define "callback-operator.consoleName" -}}
{{- printf "%s-console" (include "callback-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "callback-operator.consoleSelectorLabels" -}}
app.kubernetes.io/name: {{ include "callback-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: console
{{- end }}

{{- define "callback-operator.consoleImage" -}}
{{- if .Values.console.image.repository }}
{{- printf "%s:%s" .Values.console.image.repository (default .Chart.AppVersion .Values.console.image.tag) }}
{{- else }}
{{- include "callback-operator.image" . }}
{{- end }}
{{- end }}

{{/*
The console's rights on namespaced kinds (console.enabled): it reads CallbackServices (the
services it lists and their group labels) and records each action as an Event on its service.
Granted by a ClusterRole, or by one Role per watched namespace when watchNamespaces is set.
*/}}
{{- define "callback-operator.consoleNamespacedRules" -}}
- apiGroups: ["callback-operator.io"]
  resources: ["callbackservices"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
