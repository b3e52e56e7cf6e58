package io.devproxy.daemon.ambassador;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class AmbassadorApisTest {

  KubernetesClient client;

  @Test
  void noAmbassadorCrdsServesNoMappingApi() {
    assertThat(AmbassadorApis.mappingsServed(client)).isEmpty();
  }

  @Test
  void hostCrdAloneServesNoMappingApi() throws Exception {
    CrdFiles.applyHostCrd(client);

    assertThat(AmbassadorApis.mappingsServed(client)).isEmpty();
  }

  @Test
  void v3alpha1MappingCrdIsDetected() throws Exception {
    CrdFiles.applyMappingCrd(client);

    assertThat(AmbassadorApis.mappingsServed(client)).containsExactly(AmbassadorApi.V3ALPHA1);
  }
}
