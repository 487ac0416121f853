package dev.quotewire.esnode;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.el.GreekLowerCaseFilter;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.ga.IrishLowerCaseFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.tr.TurkishLowerCaseFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.PreConfiguredTokenizer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The few analysis components from the official analysis-common module that quotewire's index settings use,
 * under the same names and options, so one set of index settings works on this node and on the official
 * distribution:
 * <ul>
 *   <li>analyzer {@code english} (Lucene's EnglishAnalyzer; options {@code stopwords}, {@code stem_exclusion});</li>
 *   <li>token filter {@code asciifolding} (option {@code preserve_original}), configurable and pre-configured;</li>
 *   <li>token filter type {@code lowercase} (option {@code language}: greek, irish, turkish). The server itself
 *       already pre-configures a plain {@code lowercase} filter, so only the configurable type is added here;</li>
 *   <li>tokenizers {@code keyword} and {@code whitespace} (pre-configured, no options): the server has only
 *       {@code standard}.</li>
 * </ul>
 */
public class FoldingAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("english", EnglishAnalyzerProvider::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of("asciifolding", AsciiFoldingFactory::new, "lowercase", LowercaseFactory::new);
    }

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        // Usable by name in analyzers and normalizers; `true`: also applied to multi-term (wildcard, prefix) queries.
        return List.of(PreConfiguredTokenFilter.singleton("asciifolding", true, ASCIIFoldingFilter::new));
    }

    @Override
    public List<PreConfiguredTokenizer> getPreConfiguredTokenizers() {
        return List.of(
            PreConfiguredTokenizer.singleton("keyword", KeywordTokenizer::new),
            PreConfiguredTokenizer.singleton("whitespace", WhitespaceTokenizer::new)
        );
    }

    static final class EnglishAnalyzerProvider extends AbstractIndexAnalyzerProvider<EnglishAnalyzer> {
        private final EnglishAnalyzer analyzer;

        EnglishAnalyzerProvider(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name);
            CharArraySet stopwords = Analysis.parseStopWords(env, settings, EnglishAnalyzer.getDefaultStopSet());
            CharArraySet stemExclusion = Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET);
            analyzer = new EnglishAnalyzer(stopwords, stemExclusion);
        }

        @Override
        public EnglishAnalyzer get() {
            return analyzer;
        }
    }

    static final class AsciiFoldingFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final boolean preserveOriginal;

        AsciiFoldingFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name);
            preserveOriginal = settings.getAsBoolean("preserve_original", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            // A normalizer must emit one token per input token: never keep the original alongside.
            return new ASCIIFoldingFilter(tokenStream, false);
        }
    }

    static final class LowercaseFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final String language;

        LowercaseFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name);
            language = settings.get("language");
            if (language != null && List.of("greek", "irish", "turkish").contains(language.toLowerCase(Locale.ROOT)) == false) {
                throw new IllegalArgumentException("invalid language [" + language + "] for lowercase token filter");
            }
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            if (language == null) {
                return new LowerCaseFilter(tokenStream);
            }
            return switch (language.toLowerCase(Locale.ROOT)) {
                case "greek" -> new GreekLowerCaseFilter(tokenStream);
                case "irish" -> new IrishLowerCaseFilter(tokenStream);
                default -> new TurkishLowerCaseFilter(tokenStream);
            };
        }
    }
}
