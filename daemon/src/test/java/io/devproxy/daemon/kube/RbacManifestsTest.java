package io.devproxy.daemon.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The RBAC YAML that {@code devproxy rbac} prints and {@code images/rbac/} ships grants what the daemon's
 * Kubernetes calls need. Surefire runs in the daemon module's directory; the canonical copies live in the
 * CLI's resources.
 */
class RbacManifestsTest {

  private static final Path CLI_COPIES = Path.of("../cli/src/main/resources/io/devproxy/cli/rbac");
  private static final Path IMAGE_COPIES = Path.of("../images/rbac");
  private static final String DEVELOPER = "devproxy-developer-role.yaml";
  private static final String AGENT = "devproxy-agent-role.yaml";

  /**
   * Every (apiGroup, resource, verb) the daemon calls, from the RBAC Javadoc of the kube classes, plus
   * what intercept needs next. Add a row with every new call.
   */
  private static final List<String> DEVELOPER_NEEDS = List.of(
      // TargetResolver, ServiceCatalog, Workloads
      "/services/get", "/services/list",
      "apps/deployments/list", "apps/statefulsets/list", "apps/replicasets/list",
      // SidecarInstaller
      "apps/deployments/get", "apps/deployments/update",
      "apps/statefulsets/get", "apps/statefulsets/update",
      "/services/update",
      // SwapInstaller: get and update, as above; ShadowInstaller
      "apps/deployments/create", "apps/deployments/delete",
      "/services/create", "/services/delete",
      // AgentTlsSecrets; NamespaceCleanup lists what it deletes
      "/secrets/get", "/secrets/create", "/secrets/update", "/secrets/delete", "/secrets/list",
      // EnvResolver: the container's env (Secrets: get, above)
      "/configmaps/get",
      // SessionLeases, LeaseKeeper
      "coordination.k8s.io/leases/get", "coordination.k8s.io/leases/list",
      "coordination.k8s.io/leases/create", "coordination.k8s.io/leases/update",
      "coordination.k8s.io/leases/delete",
      // intercept: follow agent pods, port-forward to them, surface image pull errors
      "/pods/get", "/pods/list", "/pods/watch",
      "/pods/portforward/get", "/pods/portforward/create",
      "/events/get", "/events/list", "/events/watch",
      // ambassador.MappingReader; the header-route clones (ambassador.HeaderRoutes) next
      "getambassador.io/mappings/list",
      "getambassador.io/mappings/get", "getambassador.io/mappings/create", "getambassador.io/mappings/update",
      "getambassador.io/mappings/delete",
      // ambassador preview Hosts
      "getambassador.io/hosts/get", "getambassador.io/hosts/list", "getambassador.io/hosts/create",
      "getambassador.io/hosts/update", "getambassador.io/hosts/delete");

  /**
   * Every call the traffic agent's lease janitor makes (traffic-agent's {@code io.devproxy.agent.janitor.LeaseJanitor}
   * Javadoc), and nothing more: it restores its own workload when a session's Lease expires.
   */
  private static final List<String> AGENT_NEEDS = List.of(
      // the Leases: notice expiry, delete the expired one last
      "coordination.k8s.io/leases/list", "coordination.k8s.io/leases/delete",
      // the expired session's edge routes (SessionEdgeRoutes), first: its header-route Mappings and preview Hosts
      "getambassador.io/mappings/list", "getambassador.io/mappings/delete",
      "getambassador.io/hosts/list", "getambassador.io/hosts/delete",
      // restore a sidecar or swap: the workload, and the Service of a numeric targetPort
      "apps/deployments/get", "apps/deployments/update",
      "apps/statefulsets/get", "apps/statefulsets/update",
      "/services/get", "/services/update",
      // a shadow copy: its Service, then its Deployment
      "/services/delete", "apps/deployments/delete",
      // the agent TLS Secret once no live session uses the agent
      "/secrets/delete");

  @Test
  void developerRoleGrantsEveryCallTheDaemonMakes() throws IOException {
    List<HasMetadata> objects = load(DEVELOPER);

    Role role = only(objects, Role.class);
    assertThat(role.getMetadata().getName()).isEqualTo("devproxy-developer");
    assertThat(grants(role)).containsAll(DEVELOPER_NEEDS);
    assertThat(grants(role)).as("no wildcards").noneMatch(g -> g.contains("*"));

    RoleBinding binding = only(objects, RoleBinding.class);
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo("devproxy-developer");
    assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
      assertThat(s.getKind()).isEqualTo("User");
      assertThat(s.getName()).isEqualTo("developer@example.com");
    });
  }

  @Test
  void agentRoleLetsTheAgentRestoreItsWorkload() throws IOException {
    List<HasMetadata> objects = load(AGENT);

    assertThat(only(objects, ServiceAccount.class).getMetadata().getName()).isEqualTo("devproxy-agent");
    Role role = only(objects, Role.class);
    assertThat(role.getMetadata().getName()).isEqualTo("devproxy-agent");
    assertThat(grants(role)).containsExactlyInAnyOrderElementsOf(AGENT_NEEDS);

    RoleBinding binding = only(objects, RoleBinding.class);
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo("devproxy-agent");
    assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
      assertThat(s.getKind()).isEqualTo("ServiceAccount");
      assertThat(s.getName()).isEqualTo("devproxy-agent");
    });
  }

  @Test
  void nothingIsClusterScoped() throws IOException {
    for (String file : List.of(DEVELOPER, AGENT)) {
      List<HasMetadata> objects = load(file);
      assertThat(objects).as(file)
          .extracting(HasMetadata::getKind)
          .isNotEmpty()
          .allMatch(kind -> Set.of("ServiceAccount", "Role", "RoleBinding").contains(kind));
      assertThat(objects).as(file + ": namespace comes from kubectl -n")
          .allMatch(o -> o.getMetadata().getNamespace() == null);
    }
  }

  @Test
  void imageCopiesAreByteIdenticalToTheCliCopies() throws IOException {
    for (String file : List.of(DEVELOPER, AGENT)) {
      assertThat(Files.readAllBytes(IMAGE_COPIES.resolve(file)))
          .as("images/rbac/" + file + " must equal the CLI resource; copy it over")
          .isEqualTo(Files.readAllBytes(CLI_COPIES.resolve(file)));
    }
  }

  private static List<HasMetadata> load(String file) throws IOException {
    String yaml = Files.readString(CLI_COPIES.resolve(file), StandardCharsets.UTF_8);
    KubernetesSerialization serialization = new KubernetesSerialization();
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : yaml.split("(?m)^---\\s*$")) {
      objects.add(serialization.unmarshal(document, HasMetadata.class));
    }
    return objects;
  }

  private static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
    assertThat(objects).filteredOn(type::isInstance).hasSize(1);
    return objects.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
  }

  /** The Role's rules as {@code apiGroup/resource/verb}, the core group as the empty string. */
  private static Set<String> grants(Role role) {
    Set<String> grants = new TreeSet<>();
    for (PolicyRule rule : role.getRules()) {
      assertThat(rule.getResourceNames()).as("no rule is limited to named objects").isNullOrEmpty();
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            grants.add(group + "/" + resource + "/" + verb);
          }
        }
      }
    }
    return grants;
  }
}
