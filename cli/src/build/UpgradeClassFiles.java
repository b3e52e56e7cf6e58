import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * A build step of the CLI (cli/pom.xml, after the shade plugin): rewrites the classes under a package prefix in a jar
 * from class file version 49 (Java 5, which picocli targets) to 52 (Java 8), adding stack map frames. The JVM leaves
 * pre-Java-6 classes out of a class-data-sharing archive, so without this picocli, about 180 classes on every
 * command's path, would be read from the jar and checked by the old type-inferring verifier on every run. The code
 * is unchanged; classes already at 50 or later are copied as they are.
 *
 * <pre>java -cp ASM_JAR:PICOCLI_JAR UpgradeClassFiles.java JAR PREFIX</pre>
 *
 * (PICOCLI_JAR on the class path so that frames can name common superclasses.)
 */
public final class UpgradeClassFiles {

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: UpgradeClassFiles JAR PREFIX (e.g. target/app.jar picocli/)");
    }
    Path jar = Path.of(args[0]);
    String prefix = args[1];
    Path rewritten = jar.resolveSibling(jar.getFileName() + ".tmp");
    int upgraded = 0;
    try (ZipFile in = new ZipFile(jar.toFile());
        OutputStream file = Files.newOutputStream(rewritten);
        ZipOutputStream out = new ZipOutputStream(file)) {
      for (Enumeration<? extends ZipEntry> entries = in.entries(); entries.hasMoreElements(); ) {
        ZipEntry entry = entries.nextElement();
        byte[] bytes;
        try (InputStream content = in.getInputStream(entry)) {
          bytes = content.readAllBytes();
        }
        if (entry.getName().startsWith(prefix) && entry.getName().endsWith(".class") && version(bytes) < Opcodes.V1_6) {
          bytes = upgrade(bytes);
          upgraded++;
        }
        ZipEntry copy = new ZipEntry(entry.getName());
        copy.setTime(entry.getTime());
        out.putNextEntry(copy);
        out.write(bytes);
        out.closeEntry();
      }
    }
    Files.move(rewritten, jar, StandardCopyOption.REPLACE_EXISTING);
    System.out.println("UpgradeClassFiles: " + upgraded + " classes under " + prefix + " in " + jar + " now Java 8");
  }

  /** The major version of a class file. */
  private static int version(byte[] classFile) {
    return ((classFile[6] & 0xff) << 8) | (classFile[7] & 0xff);
  }

  private static byte[] upgrade(byte[] classFile) {
    ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES);
    new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
        super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
      }
    }, ClassReader.SKIP_FRAMES);
    return writer.toByteArray();
  }
}
