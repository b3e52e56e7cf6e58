package io.devproxy.daemon.ambassador;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class MappingApisTest {

  KubernetesClient client;

  @Test
  void noAmbassadorCrdsServesNoMappingApi() {
    assertThat(MappingApis.served(client)).isEmpty();
  }

  @Test
  void hostCrdAloneServesNoMappingApi() throws Exception {
    CrdFiles.applyHostCrd(client);

    assertThat(MappingApis.served(client)).isEmpty();
  }

  @Test
  void v3alpha1MappingCrdIsDetected() throws Exception {
    CrdFiles.applyMappingCrd(client);

    assertThat(MappingApis.served(client)).containsExactly(MappingApi.V3ALPHA1);
  }
}
